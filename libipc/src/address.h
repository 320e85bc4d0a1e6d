// Parses the address strings users pass to Server and Client.
#pragma once

#include <QHostAddress>
#include <QString>

namespace ipc {

struct Address
{
    enum Kind { Invalid, Local, Tcp };

    Kind kind = Invalid;
    QString localPath; // Local: socket path (Unix) or pipe name (Windows)
    QHostAddress host; // Tcp, when the host is an IP literal or localhost
    QString hostName; // Tcp, when the host is a name to look up instead
    quint16 port = 0; // Tcp; 0 lets the server pick one
    QString error; // Invalid: why

    bool isValid() const { return kind != Invalid; }
    QString toString() const;

    static constexpr quint16 DefaultTcpPort = 6969; // MinIPC's
    // "echo", "local:echo", "/abs/path.sock", "tcp://127.0.0.1:6969",
    // "tcp://[::1]:6969", "tcp://localhost", "tcp://:7000",
    // "tcp://build-server:7000".
    static Address parse(const QString &text);
};

} // namespace ipc
