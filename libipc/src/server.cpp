#include <ipc/server.h>

#include "address.h"
#include "config_check.h"
#include "cross_thread.h"
#include "logging.h"
#include "session.h"
#include "session_observer.h"
#include "transport/listener.h"
#include "transport/stream.h"
#include "wait.h"

#include <QPointer>

#include <deque>
#include <map>

namespace ipc {

class ServerPrivate
{
public:
    struct Connection
    {
        Session *session = nullptr;
        ClientInfo info;
    };

    ServerPrivate(Server *q, const QString &addressText, const ServerConfig &config)
        : q(q)
        , addressText(addressText)
        , address(Address::parse(addressText))
        , config(config)
    {
    }

    void setStatus(Status s)
    {
        if (status == s)
            return;
        status = s;
        Q_EMIT q->statusChanged(s);
    }

    bool fail(Error e, const QString &reason)
    {
        error = e;
        errorString = reason;
        qCInfo(lcServer).noquote() << reason;
        Q_EMIT q->errorOccurred(e);
        return false;
    }

    // A failure that concerns one client only: its signal, not the server's error.
    bool failClient(quint64 id, Error e, const QString &reason)
    {
        qCInfo(lcServer).noquote() << "client" << id << "error:" << reason;
        Q_EMIT q->clientErrorOccurred(id, e, reason);
        return false;
    }

    // The error is in place before the status changes, so a slot reacting
    // to statusChanged(Error) reads the right cause.
    bool failListen(Error e, const QString &reason)
    {
        error = e;
        errorString = reason;
        setStatus(Status::Error);
        return fail(e, reason);
    }

    int pendingAndConnected() const { return int(connections.size()); }
    Session *established(quint64 id) const
    {
        const auto it = connections.find(id);
        return it != connections.end() && it->second.session->isEstablished() ? it->second.session
                                                                              : nullptr;
    }

    void accept(Stream *stream);
    template <typename Call>
    bool postFromOtherThread(Call call)
    {
        return foreignWrites->post(std::move(call), [this] {
            fail(Error::WriteQueueFull, QStringLiteral("write refused: %1 writes from other threads already wait")
                                            .arg(foreignWrites->limit()));
        });
    }
    bool writeTo(quint64 id, qint32 type, const QByteArray &data);
    void onEstablished(quint64 id);
    void onFinished(quint64 id, Error error, const QString &reason);
    void closeAll(bool notify);

    Server *q;
    QString addressText;
    Address address;
    ServerConfig config;
    std::unique_ptr<Listener> listener;
    Status status = Status::NotConnected;
    Error error = Error::NoError;
    QString errorString;
    bool misconfigured = false; // the constructor found an error that listen() cannot fix
    int accepting = 0;          // inside accept(), where slots may close or delete the server
    // Writes from other threads on their way here; more are refused.
    CrossThreadWrites *foreignWrites = new CrossThreadWrites(q, ForeignWriteLimit);
    static constexpr int ForeignWriteLimit = 65536;
    std::map<quint64, Connection> connections; // ordered: clients() lists by id
    int waiters = 0;
    std::deque<Message> inbox; // messages that arrived during a blocking wait
};

void ServerPrivate::accept(Stream *stream)
{
    const quint64 id = nextConnectionId();
    Session::Options options;
    options.adapter.role = Session::Role::Server;
    options.adapter.protocol = config.protocol;
    options.adapter.maxMessageSize = config.effectiveMaxMessageSize();
    options.adapter.encryption = config.encryption;
    options.adapter.preSharedKey = config.preSharedKey;
    options.adapter.rejectAsFull = config.maxClients > 0 && pendingAndConnected() >= config.maxClients;
    options.handshakeTimeout = config.handshakeTimeout;
    options.heartbeatInterval = config.heartbeatInterval;
    options.observer = defaultSessionObserver();
    options.id = id;

    auto *session = new Session(stream, options, q);
    Connection &connection = connections[id];
    connection.session = session;
    connection.info.id = id;
    QObject::connect(session, &Session::established, q, [this, id] { onEstablished(id); });
    session->onMessage = [this, id](qint32 type, const QByteArray &data) {
        const Message message{type, data, id};
        if (waiters > 0)
            inbox.push_back(message);
        Q_EMIT q->messageReceived(message);
    };
    QObject::connect(session, &Session::finished, q,
                     [this, id](Error e, const QString &reason) { onFinished(id, e, reason); });
    session->start();
}

void ServerPrivate::onEstablished(quint64 id)
{
    Connection &connection = connections.at(id);
    connection.info.peer = connection.session->peer();
    connection.info.encryption = connection.session->encryption();
    connection.info.connectedAt = QDateTime::currentDateTimeUtc();
    qCInfo(lcServer) << "client" << id << "connected, pid" << connection.info.peer.pid;
    const bool encrypted = connection.info.encryption.isEncrypted();
    Q_EMIT q->clientConnected(id); // a slot may drop the client: `connection` may dangle now
    if (encrypted && connections.count(id))
        Q_EMIT q->clientEncrypted(id);
}

void ServerPrivate::onFinished(quint64 id, Error e, const QString &reason)
{
    const auto it = connections.find(id);
    if (it == connections.end())
        return;
    const bool wasConnected = !it->second.info.connectedAt.isNull();
    it->second.session->deleteLater();
    connections.erase(it);
    if (e != Error::NoError)
        failClient(id, e, reason);
    if (wasConnected)
        Q_EMIT q->clientDisconnected(id);
}

void ServerPrivate::closeAll(bool notify)
{
    std::vector<Session *> sessions;
    for (const auto &entry : connections)
        sessions.push_back(entry.second.session);
    for (Session *session : sessions) {
        if (!notify) {
            session->disconnect(q); // a finished session delivers no more messages
        }
        session->close();
    }
    if (!notify) {
        for (Session *session : sessions)
            delete session;
        connections.clear();
    }
    if (listener)
        listener->close();
    // A slot of accept() (a line client is connected at once) may get here
    // while the listener is handing out that connection: let it return first.
    if (accepting > 0 && listener)
        listener.release()->deleteLater();
    listener.reset();
}

bool ServerPrivate::writeTo(quint64 id, qint32 type, const QByteArray &data)
{
    if (type <= 0)
        return failClient(id, Error::InvalidMessageType,
                          QStringLiteral("write refused: message type %1 is reserved (user types are > 0)").arg(type));
    const auto it = connections.find(id);
    if (it == connections.end() || !it->second.session->isEstablished())
        return failClient(id, Error::NotConnected,
                          QStringLiteral("write refused: no connected client with id %1").arg(id));
    Error e = Error::NoError;
    QString reason;
    if (it->second.session->send(type, data, &e, &reason))
        return true;
    // A write that broke the connection was reported when it ended.
    return connections.count(id) ? failClient(id, e, reason) : false;
}

Server::Server(const QString &address, const ServerConfig &config, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ServerPrivate>(this, address, config))
{
    std::tie(d->error, d->errorString) = constructionError(d->address, config);
    if (d->error == Error::NoError)
        return;
    d->misconfigured = true;
    d->status = Status::Error;
    qCWarning(lcServer).noquote() << d->errorString;
    // From the event loop, so that a slot connected after construction hears it.
    QMetaObject::invokeMethod(this, [this] { Q_EMIT errorOccurred(d->error); }, Qt::QueuedConnection);
}

Server::~Server()
{
    d->closeAll(false);
}

bool Server::listen()
{
    if (isListening())
        return true;
    if (d->misconfigured) // the first cause stands
        return d->failListen(d->error, d->errorString);
    auto listener = Listener::create(d->address);
    Listener::Options options;
    options.worldAccess = d->config.unmaskPermissions;
    options.authenticated = d->config.encryption && !d->config.preSharedKey.isEmpty();
    if (!listener->listen(d->address, options))
        return d->failListen(listener->error(), listener->errorString());
    connect(listener.get(), &Listener::newStream, this, [this](Stream *stream) {
        QPointer<Server> alive(this);
        ++d->accepting;
        d->accept(stream);
        if (alive)
            --d->accepting;
    });
    d->listener = std::move(listener);
    d->error = Error::NoError;
    d->errorString.clear();
    qCInfo(lcServer).noquote() << "listening on" << d->listener->listeningAddress();
    d->setStatus(Status::Listening);
    return true;
}

bool Server::isListening() const
{
    return d->listener != nullptr;
}

QString Server::address() const
{
    return d->addressText;
}

QString Server::listeningAddress() const
{
    return d->listener ? d->listener->listeningAddress() : QString();
}

ServerConfig Server::config() const
{
    return d->config;
}

Status Server::status() const
{
    return d->status;
}

QString Server::statusString() const
{
    return ipc::statusString(d->status);
}

Error Server::error() const
{
    return d->error;
}

QString Server::errorString() const
{
    return d->errorString;
}

QList<quint64> Server::clientIds() const
{
    QList<quint64> ids;
    for (const auto &entry : d->connections) {
        if (entry.second.session->isEstablished())
            ids.append(entry.first);
    }
    return ids;
}

QList<ClientInfo> Server::clients() const
{
    QList<ClientInfo> list;
    for (const auto &entry : d->connections) {
        if (entry.second.session->isEstablished())
            list.append(entry.second.info);
    }
    return list;
}

ClientInfo Server::clientInfo(quint64 clientId) const
{
    return d->established(clientId) ? d->connections.at(clientId).info : ClientInfo();
}

int Server::clientCount() const
{
    return int(clientIds().size());
}

bool Server::write(quint64 clientId, qint32 type, const QByteArray &data)
{
    if (d->foreignWrites->fromOtherThread())
        return d->postFromOtherThread([this, clientId, type, data] { d->writeTo(clientId, type, data); });
    return d->writeTo(clientId, type, data);
}

int Server::broadcast(qint32 type, const QByteArray &data)
{
    if (d->foreignWrites->fromOtherThread())
        return d->postFromOtherThread([this, type, data] { broadcast(type, data); }) ? -1 : 0;
    if (type <= 0) {
        d->fail(Error::InvalidMessageType,
                QStringLiteral("broadcast refused: message type %1 is reserved (user types are > 0)").arg(type));
        return 0;
    }
    int sent = 0;
    for (quint64 id : clientIds()) {
        if (d->established(id) && d->writeTo(id, type, data)) // a slot below may have dropped it
            ++sent;
    }
    return sent;
}

void Server::disconnectClient(quint64 clientId)
{
    const auto it = d->connections.find(clientId);
    if (it != d->connections.end())
        it->second.session->close();
}

Message Server::waitForMessage(std::chrono::milliseconds timeout)
{
    ++d->waiters;
    const bool got = waitUntil(timeout, [this] { return !d->inbox.empty(); }, this,
                               &Server::messageReceived);
    --d->waiters;
    if (!got)
        return Message{Message::StatusNotice, QByteArrayLiteral("timed out waiting for a message"), 0};
    Message message = d->inbox.front();
    d->inbox.pop_front();
    return message;
}

bool Server::waitForClient(std::chrono::milliseconds timeout)
{
    return waitUntil(timeout, [this] { return clientCount() > 0; }, this, &Server::clientConnected);
}

void Server::close()
{
    if (!isListening() && d->connections.empty())
        return;
    d->setStatus(Status::Closing);
    d->closeAll(true);
    d->setStatus(Status::Closed);
}

} // namespace ipc
