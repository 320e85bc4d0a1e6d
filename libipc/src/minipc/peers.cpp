#include "peers.h"

#include "wait.h"

#include <ipc/client.h>
#include <ipc/server.h>


namespace ipc {

Peer::~Peer() = default;

bool Inbox::push(const QByteArray &message)
{
    if (m_bytes + message.size() > m_maxBytes)
        return false;
    m_bytes += message.size();
    m_messages.push_back(message);
    return true;
}

QByteArray Inbox::take()
{
    QByteArray message = m_messages.front();
    m_messages.pop_front();
    m_bytes -= message.size();
    return message;
}

ServerSidePeer::ServerSidePeer(Server *server, quint64 clientId, bool collect, qsizetype maxBuffered)
    : m_server(server)
    , m_clientId(clientId)
    , m_inbox(maxBuffered)
{
    m_errors = QObject::connect(server, &Server::clientErrorOccurred, server,
                                [this](quint64 id, Error, const QString &reason) {
                                    if (id == m_clientId)
                                        m_error = reason;
                                });
    if (!collect)
        return;
    m_connection = QObject::connect(server, &Server::messageReceived, server, [this](const Message &message) {
        if (message.clientId != m_clientId || m_inbox.push(message.data))
            return;
        m_error = QStringLiteral("receive failed: the client sent more than %1 unread bytes")
                      .arg(m_inbox.maxBytes());
        m_server->disconnectClient(m_clientId);
    });
}

ServerSidePeer::~ServerSidePeer()
{
    QObject::disconnect(m_connection);
    QObject::disconnect(m_errors);
}

bool ServerSidePeer::send(const QByteArray &message)
{
    return m_server->write(m_clientId, MinipcMessageType, message); // a failure sets m_error
}

QByteArray ServerSidePeer::receive(std::chrono::milliseconds timeout)
{
    const auto ready = [this] {
        return !m_inbox.isEmpty() || m_server->clientInfo(m_clientId).id == 0;
    };
    waitUntil(timeout, ready, m_server, &Server::messageReceived, &Server::clientDisconnected);
    if (m_inbox.isEmpty()) {
        const bool gone = m_server->clientInfo(m_clientId).id == 0;
        if (!gone)
            m_error = QStringLiteral("receive failed: no message within %1 ms").arg(timeout.count());
        else if (m_error.isEmpty()) // keep the overflow reason if that is why it went
            m_error = QStringLiteral("receive failed: the client disconnected");
        return QByteArray();
    }
    return m_inbox.take();
}

ClientSidePeer::ClientSidePeer(Client *client, qsizetype maxBuffered)
    : m_client(client)
    , m_inbox(maxBuffered)
{
    m_connection = QObject::connect(client, &Client::messageReceived, client, [this](const Message &message) {
        if (!m_inbox.push(message.data) && !m_overflowed) {
            m_overflowed = true;
            m_client->close(); // a server flooding an eater is not waited for
        }
    });
}

ClientSidePeer::~ClientSidePeer()
{
    QObject::disconnect(m_connection);
}

bool ClientSidePeer::send(const QByteArray &message)
{
    if (m_client->write(MinipcMessageType, message))
        return true;
    m_error = m_client->errorString();
    return false;
}

QByteArray ClientSidePeer::receive(std::chrono::milliseconds timeout)
{
    const auto stopped = [this] { return m_client->status() != Status::Connected; };
    waitUntil(timeout, [&] { return !m_inbox.isEmpty() || stopped(); }, m_client,
              &Client::messageReceived, &Client::statusChanged);
    if (!m_inbox.isEmpty())
        return m_inbox.take();
    m_error = m_overflowed
        ? QStringLiteral("receive failed: the server sent more than %1 unread bytes").arg(m_inbox.maxBytes())
        : stopped() ? QStringLiteral("receive failed: the connection closed (%1)").arg(m_client->errorString())
                    : QStringLiteral("receive failed: no message within %1 ms").arg(timeout.count());
    return QByteArray();
}

} // namespace ipc
