#include "tcp_listener.h"

#include "logging.h"
#include "transport/device_stream.h"

#include <QTcpServer>
#include <QTcpSocket>

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
    if (!m_server->listen(address.host, address.port)) {
        const bool inUse = m_server->serverError() == QAbstractSocket::AddressInUseError;
        return fail(inUse ? Error::AddressInUse : Error::SocketError,
                    inUse ? QStringLiteral("address in use: port %1 on %2 is taken")
                                .arg(address.port).arg(address.host.toString())
                          : QStringLiteral("cannot listen on %1: %2")
                                .arg(address.toString(), m_server->errorString()));
    }
    if (!address.host.isLoopback() && !options.authenticated)
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
