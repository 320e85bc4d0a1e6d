// Control messages: frames of type 0 whose data starts with a kind byte.
#pragma once

#include <QByteArray>
#include <QString>

namespace ipc::wire {

enum class ControlKind : quint8 {
    Hello = 1,   // first frame each side sends once the channel is ready
    Goodbye = 2, // the sender closes on purpose
    Ping = 3,
    Pong = 4,
};

struct Hello
{
    quint32 maxMessageSize = 0;
    quint64 pid = 0;
    QString processName;
    QString libraryVersion;
};

constexpr int MaxHelloStringBytes = 255;

QByteArray encodeHello(const Hello &hello);
bool decodeHello(const char *data, qsizetype size, Hello *hello, QString *error);
QByteArray encodeControl(ControlKind kind, quint64 token = 0); // Goodbye, Ping, Pong
bool decodeToken(const char *data, qsizetype size, quint64 *token);

} // namespace ipc::wire
