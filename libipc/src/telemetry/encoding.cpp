#include "telemetry/encoding.h"

#include <ipc/telemetry.h>

#include <QCborValue>
#include <QDir>
#include <QMetaEnum>

#include <unistd.h>

namespace ipc::telemetry {

QString transportName(const QString &address)
{
    return address.startsWith(QLatin1String("tcp://")) || address.contains(QLatin1Char(':'))
        ? QStringLiteral("tcp")
        : QStringLiteral("local");
}

QString protocolName(Protocol protocol)
{
    switch (protocol) {
    case Protocol::Native: return QStringLiteral("native");
    case Protocol::GolangIpcV2: return QStringLiteral("golang-ipc-v2");
    case Protocol::Line: return QStringLiteral("line");
    }
    return QString();
}

QString securityName(SecurityLevel level)
{
    switch (level) {
    case SecurityLevel::Plain: return QStringLiteral("plain");
    case SecurityLevel::Weak: return QStringLiteral("weak");
    case SecurityLevel::Encrypted: return QStringLiteral("encrypted");
    case SecurityLevel::Authenticated: return QStringLiteral("authenticated");
    }
    return QString();
}

QString errorName(Error error)
{
    if (error == Error::NoError)
        return QString();
    return QString::fromLatin1(QMetaEnum::fromType<Error>().valueToKey(int(error)));
}

QString defaultMonitorAddress()
{
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty() && QDir(runtime).exists())
        return QDir(runtime).filePath(QStringLiteral("ipc-monitor.sock"));
    return QStringLiteral("ipc-monitor-%1").arg(::getuid());
}

QString monitorAddressFromEnvironment()
{
    const QString value = qEnvironmentVariable("IPC_MONITOR").trimmed();
    if (value.isEmpty() || value == QLatin1String("0") || value.compare(QLatin1String("off"), Qt::CaseInsensitive) == 0)
        return QString();
    if (value == QLatin1String("1") || value.compare(QLatin1String("on"), Qt::CaseInsensitive) == 0)
        return defaultMonitorAddress();
    return value;
}

QCborMap decodeEvent(const QByteArray &data)
{
    const QCborValue value = QCborValue::fromCbor(data);
    return value.isMap() ? value.toMap() : QCborMap();
}

} // namespace ipc::telemetry
