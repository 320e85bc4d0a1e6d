/// \file
/// MinIPC-style logging with secrets kept out unless the person running the
/// program asks to see them.
#pragma once

#include <ipc/global.h>

#include <QByteArray>
#include <QDebug>
#include <QString>
#include <QStringList>

namespace ipc {

/// Prints `[YYYY-MM-DD HH:MM:SS]: message` to standard output, in local
/// time.
IPC_EXPORT void log(const QString &message);

/// For secret values: prints `{YYYY-MM-DD HH:MM:SS}: message` when secret
/// logging is on, and `{YYYY-MM-DD HH:MM:SS}: <secret>` otherwise.
IPC_EXPORT void sec(const QString &message);

/// Returns whether secret logging is on. Off unless turned on by
/// setSecretLoggingEnabled(), by the environment variable
/// IPC_LOG_SECRETS=1, or by enableSecretLoggingFromArguments().
IPC_EXPORT bool secretLoggingEnabled();
/// Turns secret logging on or off for the whole process, whatever
/// IPC_LOG_SECRETS says.
IPC_EXPORT void setSecretLoggingEnabled(bool enabled);
/// MinIPC's switch: turns secret logging on when an argument after the
/// program name is exactly "sec". Returns whether it did. Pass
/// QCoreApplication::arguments().
IPC_EXPORT bool enableSecretLoggingFromArguments(const QStringList &arguments);
/// The same switch, for main()'s \a argc and \a argv (whose first is the
/// program name).
IPC_EXPORT bool enableSecretLoggingFromArguments(int argc, char **argv);

/// Returns the marker shown instead of a secret: `<secret>`.
IPC_EXPORT QString redactionMarker();

/// Wraps a secret for QDebug streams: `qDebug() << ipc::Secret(token)` shows
/// the text only while secret logging is on.
class IPC_EXPORT Secret
{
public:
    /// Wraps \a text.
    explicit Secret(QString text)
        : m_text(std::move(text))
    {
    }
    /// Wraps \a bytes, read as UTF-8.
    explicit Secret(const QByteArray &bytes)
        : m_text(QString::fromUtf8(bytes))
    {
    }
    /// Returns the text while secret logging is on, else redactionMarker().
    QString toString() const;
private:
    QString m_text;
};

/// Writes \a secret to \a debug as toString() gives it, without quotes.
IPC_EXPORT QDebug operator<<(QDebug debug, const Secret &secret);

} // namespace ipc
