// MinIPC-style logging with secrets kept out unless the person running the
// program asks to see them.
#pragma once

#include <ipc/global.h>

#include <QByteArray>
#include <QDebug>
#include <QString>
#include <QStringList>

namespace ipc {

// Prints "[YYYY-MM-DD HH:MM:SS]: message" to standard output.
IPC_EXPORT void log(const QString &message);

// For secret values: prints "{YYYY-MM-DD HH:MM:SS}: message" when secret
// logging is on, and "{YYYY-MM-DD HH:MM:SS}: <secret>" otherwise.
IPC_EXPORT void sec(const QString &message);

// Off unless turned on here, by the environment variable IPC_LOG_SECRETS=1,
// or by enableSecretLoggingFromArguments().
IPC_EXPORT bool secretLoggingEnabled();
IPC_EXPORT void setSecretLoggingEnabled(bool enabled);
// MinIPC's switch: turns secret logging on when an argument is exactly "sec".
// Returns whether it did. Pass QCoreApplication::arguments() or argv.
IPC_EXPORT bool enableSecretLoggingFromArguments(const QStringList &arguments);
IPC_EXPORT bool enableSecretLoggingFromArguments(int argc, char **argv);

// The marker shown instead of a secret.
IPC_EXPORT QString redactionMarker();

// Wraps a secret for QDebug streams: `qDebug() << ipc::Secret(token)` shows
// the text only while secret logging is on.
class IPC_EXPORT Secret
{
public:
    explicit Secret(QString text)
        : m_text(std::move(text))
    {
    }
    explicit Secret(const QByteArray &bytes)
        : m_text(QString::fromUtf8(bytes))
    {
    }
    QString toString() const; // the text, or the marker
private:
    QString m_text;
};

IPC_EXPORT QDebug operator<<(QDebug debug, const Secret &secret);

} // namespace ipc
