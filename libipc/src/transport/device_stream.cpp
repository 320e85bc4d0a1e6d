#include "transport/device_stream.h"
#include "transport/capabilities.h"

#include <QLocalSocket>

#if IPC_LINUX_TRANSPORT
#include <sys/socket.h>
#endif
#include <QTcpSocket>
#include <QTimer>

namespace ipc {

namespace {

Error fromLocalError(QLocalSocket::LocalSocketError error)
{
    switch (error) {
    case QLocalSocket::ServerNotFoundError:
        return Error::ServerNotFound;
    case QLocalSocket::ConnectionRefusedError:
        return Error::ConnectionRefused;
    case QLocalSocket::PeerClosedError:
        return Error::ConnectionLost;
    case QLocalSocket::SocketAccessError:
        return Error::PermissionDenied;
    case QLocalSocket::SocketTimeoutError:
        return Error::Timeout;
    default:
        return Error::SocketError;
    }
}

Error fromTcpError(QAbstractSocket::SocketError error)
{
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return Error::ConnectionRefused;
    case QAbstractSocket::HostNotFoundError:
        return Error::ServerNotFound;
    case QAbstractSocket::RemoteHostClosedError:
        return Error::ConnectionLost;
    case QAbstractSocket::SocketAccessError:
        return Error::PermissionDenied;
    case QAbstractSocket::SocketTimeoutError:
        return Error::Timeout;
    default:
        return Error::SocketError;
    }
}

// Keeps a flood from a peer from growing Qt's read buffer without bound.
constexpr qint64 ReadBufferSize = 4 << 20;
// How long a closed socket may keep sending what was written before it.
constexpr int DrainTimeout = 30000;

void abortDevice(QIODevice *device)
{
    if (auto *local = qobject_cast<QLocalSocket *>(device))
        local->abort();
    else if (auto *tcp = qobject_cast<QTcpSocket *>(device))
        tcp->abort();
    else
        device->close();
}

} // namespace

void DeviceStream::connectToPeer(const Address &address)
{
    m_peerName = address.toString();
    m_hostName = address.hostName;
    if (m_tcp && !address.hostName.isEmpty())
        m_tcp->connectToHost(
            address.hostName, address.port); // looks up, then tries each address in turn
    else if (m_tcp)
        m_tcp->connectToHost(address.host, address.port);
    else if (m_local)
        m_local->connectToServer(address.localPath);
}

DeviceStream::DeviceStream(QIODevice *device, QObject *parent)
    : Stream(parent)
    , m_device(device)
    , m_local(qobject_cast<QLocalSocket *>(device))
    , m_tcp(qobject_cast<QTcpSocket *>(device))
{
    device->setParent(this);
    connect(device, &QIODevice::readyRead, this, &Stream::readyRead);
    connect(device, &QIODevice::bytesWritten, this, &Stream::bytesWritten);
    const auto peerClosed = [this] {
        finish(Error::ConnectionLost, QStringLiteral("the peer closed the connection"));
    };
    if (m_local) {
        m_local->setReadBufferSize(ReadBufferSize);
        connect(m_local, &QLocalSocket::connected, this, &DeviceStream::onConnected);
        connect(m_local, &QLocalSocket::disconnected, this, peerClosed);
        connect(
            m_local, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError e) {
                if (e == QLocalSocket::PeerClosedError)
                    return; // disconnected() follows
                finish(fromLocalError(e),
                    describe(fromLocalError(e), m_peerName, m_local->errorString()));
            });
    } else if (m_tcp) {
        m_tcp->setReadBufferSize(ReadBufferSize);
        connect(m_tcp, &QTcpSocket::connected, this, &DeviceStream::onConnected);
        connect(m_tcp, &QTcpSocket::disconnected, this, peerClosed);
        connect(m_tcp, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e == QAbstractSocket::RemoteHostClosedError)
                return; // disconnected() follows
            if (e == QAbstractSocket::HostNotFoundError) {
                finish(Error::ServerNotFound,
                    QStringLiteral("failed to connect to %1: the host name %2 was not found")
                        .arg(m_peerName, m_hostName));
                return;
            }
            finish(fromTcpError(e), describe(fromTcpError(e), m_peerName, m_tcp->errorString()));
        });
        if (m_tcp->state() == QAbstractSocket::ConnectedState) // accepted by a server
            m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    } else {
        connect(device, &QIODevice::readChannelFinished, this, peerClosed);
    }
}

DeviceStream::~DeviceStream()
{
    if (m_device) {
        m_device->disconnect(this);
        abortDevice(m_device);
        // The socket may be inside its own readyRead() right now (a user
        // deleting a Client from a slot): let Qt unwind before it goes.
        m_device->setParent(nullptr);
        m_device->deleteLater();
    }
}

void DeviceStream::onConnected()
{
    if (m_tcp)
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    Q_EMIT connected();
}

qint64 DeviceStream::bytesAvailable() const
{
    return m_device ? m_device->bytesAvailable() : 0;
}

qint64 DeviceStream::read(char *data, qint64 maxSize)
{
    return m_device ? qMax<qint64>(0, m_device->read(data, maxSize)) : 0;
}

qint64 DeviceStream::bytesToWrite() const
{
    return m_device ? m_device->bytesToWrite() : 0;
}

bool DeviceStream::write(const QByteArray &bytes)
{
    return !m_finished && m_device && m_device->write(bytes) == bytes.size();
}

bool DeviceStream::write(const char *data, qint64 size)
{
    return !m_finished && m_device && m_device->write(data, size) == size;
}

PeerCredentials DeviceStream::peerCredentials() const
{
    PeerCredentials result;
#if IPC_LINUX_TRANSPORT
    if (!transport::hasPeerCredentials() || !m_local || m_local->socketDescriptor() < 0)
        return result;
    ucred credentials {};
    socklen_t size = sizeof credentials;
    if (getsockopt(int(m_local->socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &credentials, &size)
        != 0)
        return result;
    result.pid = credentials.pid;
    result.uid = credentials.uid;
    result.gid = credentials.gid;
#endif
    return result;
}

bool DeviceStream::flush()
{
    if (m_local)
        return m_local->flush();
    if (m_tcp)
        return m_tcp->flush();
    return false;
}

void DeviceStream::close()
{
    if (m_finished)
        return;
    m_finished = true; // a close we asked for is not reported as a loss
    flush();
    m_device->disconnect(this);
    if (m_device->bytesToWrite() == 0) {
        abortDevice(m_device);
        return;
    }
    if (!m_local && !m_tcp) {
        m_device->close();
        return;
    }
    // The kernel has not taken everything yet: let the socket drain on its
    // own so close() stays immediate and what was written still leaves.
    QIODevice *draining = m_device;
    m_device = nullptr;
    m_local = nullptr;
    m_tcp = nullptr;
    draining->setParent(nullptr);
    QTimer::singleShot(DrainTimeout, draining, [draining] {
        abortDevice(draining);
        draining->deleteLater();
    });
    if (auto *local = qobject_cast<QLocalSocket *>(draining)) {
        connect(local, &QLocalSocket::disconnected, local, &QObject::deleteLater);
        local->disconnectFromServer();
    } else if (auto *tcp = qobject_cast<QTcpSocket *>(draining)) {
        connect(tcp, &QTcpSocket::disconnected, tcp, &QObject::deleteLater);
        tcp->disconnectFromHost();
    }
}

QString DeviceStream::peerName() const
{
    if (!m_peerName.isEmpty())
        return m_peerName;
    if (m_tcp) {
        Address peer;
        peer.kind = Address::Tcp;
        peer.host = m_tcp->peerAddress();
        peer.port = m_tcp->peerPort();
        return peer.toString();
    }
    return m_local ? QStringLiteral("local") : QStringLiteral("device");
}

void DeviceStream::finish(Error error, const QString &reason)
{
    if (m_finished)
        return;
    m_finished = true;
    Q_EMIT closed(error, reason);
}

} // namespace ipc
