#include "config_check.h"
#include "transport/capabilities.h"

#include "address.h"

#include <cmath>

namespace ipc {

namespace {

QString keyError(const QByteArray &key)
{
    if (!key.isEmpty() && key.size() != 32)
        return QStringLiteral("invalid configuration: the pre-shared key must be 32 bytes, not %1").arg(key.size());
    return QString();
}

QString negative(const char *field)
{
    return QStringLiteral("invalid configuration: %1 must not be negative").arg(QLatin1String(field));
}

QString windowError(const SendWindow &window)
{
    if (window.messages < 1 || window.bytes < 1)
        return QStringLiteral("invalid configuration: sendWindow needs room for at least 1 message and 1 byte, "
                              "not %1 and %2").arg(window.messages).arg(window.bytes);
    return QString();
}

QString protocolError(Protocol protocol, const QByteArray &key)
{
    if (protocol == Protocol::GolangIpcV2 && !key.isEmpty())
        return QStringLiteral("invalid configuration: golang-ipc protocol version 2 has no pre-shared keys");
    return QString();
}

} // namespace

QString configurationError(const ServerConfig &config)
{
    if (QString error = protocolError(config.protocol, config.preSharedKey); !error.isEmpty())
        return error;
    if (QString error = keyError(config.preSharedKey); !error.isEmpty())
        return error;
    if (config.protocol == Protocol::Line && !config.preSharedKey.isEmpty())
        return QStringLiteral("invalid configuration: the line wire has no encryption to enforce a pre-shared key");
    // A key is enforced by the Noise handshake: without encryption it would
    // be silently ignored and any client could connect.
    if (!config.preSharedKey.isEmpty() && !config.encryption)
        return QStringLiteral("invalid configuration: a pre-shared key needs encryption: it cannot be enforced "
                              "with encryption = false");
    if (config.maxClients < 0)
        return negative("maxClients");
    if (config.handshakeTimeout.count() < 0)
        return negative("handshakeTimeout");
    if (config.heartbeatInterval.count() < 0)
        return negative("heartbeatInterval");
    if (config.messageReadTimeout.count() < 0)
        return negative("messageReadTimeout");
    if (config.writeQueueLimit < 0)
        return negative("writeQueueLimit");
    if (config.writeQueueBytes < 0)
        return negative("writeQueueBytes");
    if (config.resumeTimeout.count() < 0)
        return negative("resumeTimeout");
    return windowError(config.sendWindow);
}

QString configurationError(const ClientConfig &config)
{
    if (QString error = protocolError(config.protocol, config.preSharedKey); !error.isEmpty())
        return error;
    if (QString error = keyError(config.preSharedKey); !error.isEmpty())
        return error;
    if (config.protocol == Protocol::Line && !config.preSharedKey.isEmpty())
        return QStringLiteral("invalid configuration: the line wire has no encryption to check a pre-shared key");
    if (config.timeout.count() < 0)
        return negative("timeout");
    if (config.maxAttempts < 0)
        return negative("maxAttempts");
    if (config.writeQueueLimit < 0)
        return negative("writeQueueLimit");
    if (config.writeQueueBytes < 0)
        return negative("writeQueueBytes");
    if (config.handshakeTimeout.count() < 0)
        return negative("handshakeTimeout");
    if (config.heartbeatInterval.count() < 0)
        return negative("heartbeatInterval");
    if (config.messageReadTimeout.count() < 0)
        return negative("messageReadTimeout");
    const RetryTimer &retry = config.retryTimer;
    if (retry.initial.count() < 0 || retry.maximum.count() < 0)
        return negative("retryTimer");
    if (!std::isfinite(retry.factor) || retry.factor < 1.0)
        return QStringLiteral("invalid configuration: retryTimer.factor must be a number of at least 1, not %1")
            .arg(retry.factor);
    if (config.disconnectTimeout.count() < 0)
        return negative("disconnectTimeout");
    return windowError(config.sendWindow);
}

QString configurationError(const ServerConfig &config, const Address &address)
{
    if (config.sameUserOnly && address.kind == Address::Tcp)
        return QStringLiteral("invalid configuration: sameUserOnly needs a local socket; over TCP no one vouches for "
                              "the peer's user");
    if (config.sameUserOnly && !transport::hasPeerCredentials())
        return QStringLiteral("invalid configuration: sameUserOnly needs the peer's credentials, which this process's "
                              "local sockets do not give (only Linux's own transport does, unless IPC_PORTABLE_TRANSPORT=1 "
                              "turned it off)");
    return QString();
}

QString configurationError(const ClientConfig &, const Address &)
{
    return QString();
}

} // namespace ipc
