#include <ipc/log.h>

#include <QDateTime>

#include <atomic>
#include <cstdio>

namespace ipc {

namespace {

std::atomic<int> &secretSwitch()
{
    // -1: not decided yet; read the environment on first use.
    static std::atomic<int> state{-1};
    return state;
}

void print(char open, char close, const QString &message)
{
    QString text;
    text += QLatin1Char(open);
    text += QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    text += QLatin1Char(close);
    text += QStringLiteral(": ") + message + QLatin1Char('\n');
    const QByteArray line = text.toUtf8();
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);
}

} // namespace

void log(const QString &message)
{
    print('[', ']', message);
}

void sec(const QString &message)
{
    print('{', '}', secretLoggingEnabled() ? message : redactionMarker());
}

bool secretLoggingEnabled()
{
    int state = secretSwitch().load();
    if (state < 0) {
        state = qEnvironmentVariableIntValue("IPC_LOG_SECRETS") == 1 ? 1 : 0;
        secretSwitch().store(state);
    }
    return state == 1;
}

void setSecretLoggingEnabled(bool enabled)
{
    secretSwitch().store(enabled ? 1 : 0);
}

bool enableSecretLoggingFromArguments(const QStringList &arguments)
{
    if (!arguments.mid(1).contains(QStringLiteral("sec")))
        return false;
    setSecretLoggingEnabled(true);
    return true;
}

bool enableSecretLoggingFromArguments(int argc, char **argv)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    return enableSecretLoggingFromArguments(arguments);
}

QString redactionMarker()
{
    return QStringLiteral("<secret>");
}

QString Secret::toString() const
{
    return secretLoggingEnabled() ? m_text : redactionMarker();
}

QDebug operator<<(QDebug debug, const Secret &secret)
{
    QDebugStateSaver saver(debug);
    debug.noquote() << secret.toString();
    return debug;
}

} // namespace ipc
