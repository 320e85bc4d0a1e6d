#include "stream.h"

#include <QLocalSocket>
#include <QTcpSocket>
#include <QTimer>

namespace ipc {

namespace {

Error fromLocalError(QLocalSocket::LocalSocketError error)
{
    switch (error) {
    case QLocalSocket::ServerNotFoundError: return Error::ServerNotFound;
    case QLocalSocket::ConnectionRefusedError: return Error::ConnectionRefused;
    case QLocalSocket::PeerClosedError: return Error::ConnectionLost;
    case QLocalSocket::SocketAccessError: return Error::PermissionDenied;
    case QLocalSocket::SocketTimeoutError: return Error::Timeout;
    default: return Error::SocketError;
    }
}

Error fromTcpError(QAbstractSocket::SocketError error)
{
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError: return Error::ConnectionRefused;
    case QAbstractSocket::HostNotFoundError: return Error::ServerNotFound;
    case QAbstractSocket::RemoteHostClosedError: return Error::ConnectionLost;
    case QAbstractSocket::SocketAccessError: return Error::PermissionDenied;
    case QAbstractSocket::SocketTimeoutError: return Error::Timeout;
    default: return Error::SocketError;
    }
}

// Keeps a flood from a peer from growing Qt's read buffer without bound.
constexpr qint64 ReadBufferSize = 4 << 20;
// How long a closed socket may keep sending what was written before it.
constexpr int DrainTimeout = 30000;

void abortSocket(QIODevice *device)
{
    if (auto *local = qobject_cast<QLocalSocket *>(device))
        local->abort();
    else if (auto *tcp = qobject_cast<QTcpSocket *>(device))
        tcp->abort();
}

} // namespace

Stream *Stream::create(const Address &address, QObject *parent)
{
    if (address.kind == Address::Tcp)
        return new Stream(new QTcpSocket, parent);
    return new Stream(new QLocalSocket, parent);
}

void Stream::connectToPeer(const Address &address)
{
    m_peerName = address.toString();
    if (m_tcp)
        m_tcp->connectToHost(address.host, address.port);
    else
        m_local->connectToServer(address.localPath);
}

Stream::Stream(QLocalSocket *socket, QObject *parent)
    : QObject(parent)
    , m_local(socket)
{
    attach(socket);
    connect(socket, &QLocalSocket::connected, this, &Stream::onConnected);
    connect(socket, &QLocalSocket::disconnected, this, [this] {
        finish(Error::ConnectionLost, QStringLiteral("the peer closed the connection"));
    });
    connect(socket, &QLocalSocket::errorOccurred, this, [this](QLocalSocket::LocalSocketError e) {
        if (e == QLocalSocket::PeerClosedError)
            return; // disconnected() follows
        finish(fromLocalError(e), describe(fromLocalError(e), m_local->errorString()));
    });
}

Stream::Stream(QTcpSocket *socket, QObject *parent)
    : QObject(parent)
    , m_tcp(socket)
{
    attach(socket);
    connect(socket, &QTcpSocket::connected, this, &Stream::onConnected);
    connect(socket, &QTcpSocket::disconnected, this, [this] {
        finish(Error::ConnectionLost, QStringLiteral("the peer closed the connection"));
    });
    connect(socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError)
            return; // disconnected() follows
        finish(fromTcpError(e), describe(fromTcpError(e), m_tcp->errorString()));
    });
    if (socket->state() == QAbstractSocket::ConnectedState) // accepted by a server
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
}

Stream::~Stream()
{
    if (m_device) {
        m_device->disconnect(this);
        abortSocket(m_device);
        // The socket may be inside its own readyRead() right now (a user
        // deleting a Client from a slot): let Qt unwind before it goes.
        m_device->setParent(nullptr);
        m_device->deleteLater();
    }
}

void Stream::attach(QIODevice *device)
{
    m_device = device;
    device->setParent(this);
    if (m_local)
        m_local->setReadBufferSize(ReadBufferSize);
    else
        m_tcp->setReadBufferSize(ReadBufferSize);
    connect(device, &QIODevice::readyRead, this, &Stream::readyRead);
}

void Stream::onConnected()
{
    if (m_tcp)
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    Q_EMIT connected();
}

bool Stream::write(const QByteArray &bytes)
{
    return !m_finished && m_device && m_device->write(bytes) == bytes.size();
}

void Stream::flush()
{
    if (m_local)
        m_local->flush();
    else if (m_tcp)
        m_tcp->flush();
}

void Stream::close()
{
    if (m_finished)
        return;
    m_finished = true; // a close we asked for is not reported as a loss
    flush();
    m_device->disconnect(this);
    if (m_device->bytesToWrite() == 0) {
        abortSocket(m_device);
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
        abortSocket(draining);
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

// Qt's texts for a failed connect are vague ("Invalid name"); say what happened.
QString Stream::describe(Error error, const QString &systemText) const
{
    const QString peer = m_peerName.isEmpty() ? QStringLiteral("the peer") : m_peerName;
    switch (error) {
    case Error::ServerNotFound: return QStringLiteral("failed to connect: no server at %1").arg(peer);
    case Error::ConnectionRefused: return QStringLiteral("failed to connect: connection refused by %1").arg(peer);
    case Error::PermissionDenied: return QStringLiteral("failed to connect: permission denied for %1").arg(peer);
    default: return systemText;
    }
}

void Stream::finish(Error error, const QString &reason)
{
    if (m_finished)
        return;
    m_finished = true;
    Q_EMIT closed(error, reason);
}

} // namespace ipc
