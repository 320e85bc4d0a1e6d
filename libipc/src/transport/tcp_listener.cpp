#include "tcp_listener.h"

#include "logging.h"
#include "transport/device_stream.h"
#ifdef Q_OS_UNIX
#include "transport/accept_loop.h"
#endif

#include <QHostInfo>
#include <QTcpServer>
#include <QTcpSocket>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

namespace ipc {

TcpListener::TcpListener()
    : m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &TcpListener::acceptPending);
}

TcpListener::~TcpListener()
{
    close();
}

bool TcpListener::listen(const Address &address, const Options &options)
{
    m_server->setListenBacklogSize(maximumBacklog());
    QList<QHostAddress> candidates { address.host };
    if (!address.hostName.isEmpty()) {
        // A server binds once, at start-up, so a blocking lookup is acceptable
        // here and keeps listen()'s answer final.
        const QHostInfo info = QHostInfo::fromName(address.hostName);
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty())
            return fail(Error::InvalidAddress,
                QStringLiteral("cannot listen on %1: the host name %2 was not found")
                    .arg(address.toString(), address.hostName));
        candidates = info.addresses();
    }
    // The first address that binds wins, as with connecting.
    for (const QHostAddress &host : std::as_const(candidates)) {
        if (m_server->listen(host, address.port))
            break;
    }
    if (!m_server->isListening()) {
        const bool inUse = m_server->serverError() == QAbstractSocket::AddressInUseError;
        const QString where
            = address.hostName.isEmpty() ? address.host.toString() : address.hostName;
        return fail(inUse ? Error::AddressInUse : Error::SocketError,
            inUse ? QStringLiteral("address in use: port %1 on %2 is taken")
                        .arg(address.port)
                        .arg(where)
                  : QStringLiteral("cannot listen on %1: %2")
                        .arg(address.toString(), m_server->errorString()));
    }
#ifdef Q_OS_UNIX
    // QTcpServer binds; accepting is ours, for the bound per pass and the
    // behaviour when descriptors run out (Qt's spins).
    m_server->pauseAccepting();
    m_accepting = std::make_unique<transport::AcceptLoop>(int(m_server->socketDescriptor()));
    connect(m_accepting.get(), &transport::AcceptLoop::accepted, this, [this](int descriptor) {
        auto *socket = new QTcpSocket;
        if (!socket->setSocketDescriptor(descriptor)) {
            ::close(descriptor);
            delete socket;
            return;
        }
        Q_EMIT newStream(new DeviceStream(socket));
    });
    connect(m_accepting.get(), &transport::AcceptLoop::trouble, this, &Listener::trouble);
#endif
    if (!m_server->serverAddress().isLoopback() && !options.authenticated)
        qCWarning(lcServer).noquote()
            << "listening on" << listeningAddress()
            << "without a pre-shared key: anyone who can reach this port can connect";
    return true;
}

// See LocalListener::acceptPending().
void TcpListener::acceptPending()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection())
        Q_EMIT newStream(new DeviceStream(socket));
}

void TcpListener::close()
{
#ifdef Q_OS_UNIX
    m_accepting.reset();
#endif
    m_server->close();
}

QString TcpListener::listeningAddress() const
{
    Address bound;
    bound.kind = Address::Tcp;
    bound.host = m_server->serverAddress();
    bound.port = m_server->serverPort();
    return bound.toString();
}

} // namespace ipc
