#include "stream.h"
#include "transport/capabilities.h"

#include "transport/device_stream.h"
#if IPC_LINUX_TRANSPORT
#include "transport/unix_socket_stream.h"
#endif

#include <QLocalSocket>
#include <QTcpSocket>

#include <unistd.h>

namespace ipc {

Stream *Stream::create(const Address &address, QObject *parent)
{
    if (address.kind == Address::Tcp)
        return new DeviceStream(new QTcpSocket, parent);
#if IPC_LINUX_TRANSPORT
    if (transport::linuxTransport())
        return new UnixSocketStream(parent);
#endif
    return new DeviceStream(new QLocalSocket, parent);
}

PeerCredentials Stream::peerCredentials() const
{
    return PeerCredentials();
}

bool Stream::writeWithDescriptor(const QByteArray &bytes, int descriptor)
{
    Q_UNUSED(bytes)
#ifdef Q_OS_UNIX
    ::close(descriptor);
#endif
    return false;
}

QString Stream::describe(Error error, const QString &peerName, const QString &systemText)
{
    const QString peer = peerName.isEmpty() ? QStringLiteral("the peer") : peerName;
    switch (error) {
    case Error::ServerNotFound:
        return QStringLiteral("failed to connect: no server at %1").arg(peer);
    case Error::ConnectionRefused:
        return QStringLiteral("failed to connect: connection refused by %1").arg(peer);
    case Error::PermissionDenied:
        return QStringLiteral("failed to connect: permission denied for %1").arg(peer);
    default:
        return systemText;
    }
}

} // namespace ipc
