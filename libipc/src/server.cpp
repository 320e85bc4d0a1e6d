#include <ipc/server.h>

#include "address.h"
#include "config_check.h"
#include "cross_thread.h"
#include "delivery.h"
#include "logging.h"
#include "requests.h"
#include "session.h"
#include "session_observer.h"
#include "transport/listener.h"
#include "transport/stream.h"
#include "wait.h"

#include <QPointer>
#include <QRandomGenerator>

#include <algorithm>
#include <deque>

#include <unistd.h>
#include <map>

namespace ipc {

class ServerPrivate
{
public:
    struct Connection
    {
        Session *session = nullptr;
        ClientInfo info;
        DeliveryLedger *ledger = nullptr;            // once established
        std::unique_ptr<DeliveryLedger> ownLedger; // a client that cannot resume
        quint64 stream = 0;                        // a client that can: its key in `resumable`
        bool writable = true;
        bool fullReported = false;
    };
    // What a client that may resume left behind, kept across its connections.
    struct Resumable
    {
        std::unique_ptr<DeliveryLedger> ledger;
        quint64 clientId = 0; // its current connection, or the last one
        std::vector<quint64> formerIds; // its earlier connections: replies to their requests still reach it
        std::unique_ptr<QTimer> expiry; // running while no connection holds it
    };
    // Clients whose connection broke wait at most this many at once for a
    // resume; beyond, the longest waiting is given up.
    static constexpr std::size_t MaxWaitingToResume = 4096;

    ServerPrivate(Server *q, const QString &addressText, const ServerConfig &config)
        : q(q)
        , addressText(addressText)
        , address(Address::parse(addressText))
        , config(config)
        , instance(QRandomGenerator::system()->generate64() | 1)
    {
        requests->ended = [this](quint64 id, quint64 clientId, bool timedOut) {
            const auto it = connections.find(clientId);
            if (timedOut && it != connections.end() && it->second.ledger)
                it->second.ledger->withdrawQueuedRequest(id); // nobody waits for its answer now
        };
    }

    DeliveryLedger::Limits ledgerLimits() const
    {
        return DeliveryLedger::Limits{config.sendWindow.messages, config.sendWindow.bytes, config.writeQueueLimit};
    }

    void setStatus(Status s)
    {
        if (status == s)
            return;
        status = s;
        if (observer && observing)
            observer->endpointStatusChanged(endpoint, s);
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
        lastClientError = e; // for request(), which reports it in its Reply
        lastClientReason = reason;
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
    bool writeTo(quint64 id, qint32 type, const QByteArray &data,
                 const wire::Correlation &tag = wire::Correlation());
    // A client that resumed has a new id; replies addressed to an earlier one
    // still reach it: the resumable entry it belongs to, or null.
    Resumable *resumableOf(quint64 id);
    void deliver(const Message &message)
    {
        if (waiters > 0)
            inbox.push_back(message);
        Q_EMIT q->messageReceived(message);
    }
    void onCorrelated(quint64 id, qint32 type, const QByteArray &data, const wire::Correlation &tag);
    bool answer(const Message &request, qint32 type, const QByteArray &data, const wire::Correlation &tag);
    bool refuseFull(quint64 id, Connection &connection);
    void updateWritable(quint64 id);
    DeliveryLedger *attachLedger(quint64 id, Session *session);
    void waitForResume(quint64 stream);
    void giveUp(quint64 clientId, DeliveryLedger &ledger);
    void handBack(quint64 clientId, DeliveryLedger &ledger);
    void giveUpResumable(quint64 stream);
    int unconfirmedTotal() const;
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
    RequestTracker *requests = new RequestTracker(q); // request()s to clients, waiting for replies
    Error lastClientError = Error::NoError;
    QString lastClientReason;
    bool destroying = false; // ~Server: new requests fail at once
    std::map<quint64, Connection> connections; // ordered: clients() lists by id
    const quint64 instance; // told to clients, so they can tell a restart from a dropped connection
    std::map<quint64, Resumable> resumable; // by the client's stream id
    std::deque<Message> undelivered; // reported by clientMessagesDropped, until taken
    int refusedPeers = 0;            // sameUserOnly refusals
    // Telemetry: this endpoint's id and where it reports (null: nowhere).
    const quint64 endpoint = nextConnectionId();
    SessionObserver *const observer = observerFor(config.monitoring);
    bool observing = false; // between endpointOpened and endpointClosed
    void stopObserving()
    {
        if (observer && observing)
            observer->endpointClosed(endpoint);
        observing = false;
    }
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
    const PeerCredentials credentials = stream->peerCredentials();
    if (config.sameUserOnly && (!credentials.isKnown() || credentials.uid != qint64(::getuid()))) {
        options.adapter.rejectAsDenied = true; // told in the preamble, then closed
        ++refusedPeers;
        qCInfo(lcServer).noquote() << "refused a connection from uid" << credentials.uid << "pid" << credentials.pid
                                   << ": sameUserOnly";
    }
    options.handshakeTimeout = config.handshakeTimeout;
    options.heartbeatInterval = config.heartbeatInterval;
    options.observer = observer;
    options.endpoint = endpoint;
    options.id = id;
    options.adapter.acknowledgements = true;
    options.adapter.instance = instance;
    options.adapter.windowMessages = quint32(config.sendWindow.messages);
    options.adapter.windowBytes = quint32(qMin<qint64>(config.sendWindow.bytes, 0xffffffffLL));
    options.attachLedger = [this, id](Session *established) { return attachLedger(id, established); };

    auto *session = new Session(stream, options, q);
    Connection &connection = connections[id];
    connection.session = session;
    connection.info.id = id;
    connection.info.credentials = credentials;
    QObject::connect(session, &Session::established, q, [this, id] { onEstablished(id); });
    session->onMessage = [this, id](qint32 type, const QByteArray &data) { deliver(Message{type, data, id}); };
    session->onCorrelated = [this, id](qint32 type, const QByteArray &data, const wire::Correlation &tag) {
        onCorrelated(id, type, data, tag);
    };
    QObject::connect(session, &Session::finished, q,
                     [this, id](Error e, const QString &reason) { onFinished(id, e, reason); });
    QObject::connect(session, &Session::acknowledged, q, [this, id](int count) {
        Q_EMIT q->clientMessagesDelivered(id, count);
        updateWritable(id);
    });
    QObject::connect(session, &Session::queueDrained, q, [this, id] { updateWritable(id); });
    QObject::connect(session, &Session::messagesRefused, q, [this, id](int count, Error e, const QString &reason) {
        failClient(id, e, QStringLiteral("%1; %2 message(s) dropped").arg(reason).arg(count));
        const auto it = connections.find(id);
        if (it == connections.end() || !it->second.ledger)
            return;
        const QPointer<Server> alive(q);
        for (const quint64 request : it->second.ledger->requestsGivenUp()) {
            if (!requests->fail(request, e, reason) || !alive)
                return;
        }
        // Only the refused ones: the connection goes on with the rest.
        const auto still = connections.find(id);
        if (still != connections.end() && still->second.ledger)
            handBack(id, *still->second.ledger);
    });
    session->start();
}

// A client that resumes gets back its ledger, wherever its last connection
// is; any other gets a fresh one.
DeliveryLedger *ServerPrivate::attachLedger(quint64 id, Session *session)
{
    Connection &connection = connections.at(id);
    const protocol::PeerDelivery &peer = session->delivery();
    if (!peer.acknowledges || peer.instance == 0) {
        connection.ownLedger = std::make_unique<DeliveryLedger>(ledgerLimits());
        connection.ledger = connection.ownLedger.get();
        return connection.ledger;
    }
    auto it = resumable.find(peer.instance);
    if (it == resumable.end()) {
        it = resumable.emplace(peer.instance, Resumable{}).first;
        it->second.ledger = std::make_unique<DeliveryLedger>(ledgerLimits());
    } else {
        Resumable &entry = it->second;
        if (entry.expiry)
            entry.expiry->stop();
        // The old connection may not have noticed it broke: it ends here.
        if (entry.clientId != id) {
            entry.formerIds.push_back(entry.clientId);
            if (entry.formerIds.size() > 16) // replies are for recent connections; bounded
                entry.formerIds.erase(entry.formerIds.begin());
            requests->reassign(entry.clientId, id);
        }
        const auto old = connections.find(entry.clientId);
        if (old != connections.end() && old->first != id) {
            old->second.ledger = nullptr;
            old->second.stream = 0;
            qCInfo(lcServer) << "client" << entry.clientId << "resumed as client" << id;
            old->second.session->close();
        }
    }
    it->second.clientId = id;
    connection.stream = peer.instance;
    connection.ledger = it->second.ledger.get();
    return connection.ledger;
}

// The connection broke: the client may come back within resumeTimeout.
void ServerPrivate::waitForResume(quint64 stream)
{
    Resumable &entry = resumable.at(stream);
    if (!entry.expiry) {
        entry.expiry = std::make_unique<QTimer>();
        entry.expiry->setSingleShot(true);
        QObject::connect(entry.expiry.get(), &QTimer::timeout, q, [this, stream] { giveUpResumable(stream); });
    }
    entry.expiry->start(config.resumeTimeout);
    std::size_t waiting = 0;
    for (const auto &other : resumable)
        waiting += other.second.expiry && other.second.expiry->isActive();
    if (waiting <= MaxWaitingToResume)
        return;
    // Too many gone clients: give up the one that has waited longest.
    quint64 oldest = 0;
    int least = INT_MAX;
    for (const auto &other : resumable) {
        if (other.second.expiry && other.second.expiry->isActive()
            && other.second.expiry->remainingTime() < least) {
            least = other.second.expiry->remainingTime();
            oldest = other.first;
        }
    }
    giveUpResumable(oldest);
}

void ServerPrivate::giveUpResumable(quint64 stream)
{
    const auto it = resumable.find(stream);
    if (it == resumable.end())
        return;
    Resumable entry = std::move(it->second);
    resumable.erase(it);
    const QPointer<Server> alive(q); // continuations may delete the server
    if (status != Status::Closing)
        requests->failPeer(entry.clientId, Error::ConnectionLost,
                           QStringLiteral("client %1 went away before answering").arg(entry.clientId));
    if (alive)
        giveUp(entry.clientId, *entry.ledger);
}

void ServerPrivate::giveUp(quint64 clientId, DeliveryLedger &ledger)
{
    if (const int count = ledger.dropAll())
        qCInfo(lcServer) << "client" << clientId << "gone:" << count << "message(s) not delivered";
    handBack(clientId, ledger);
}

// What the ledger holds as undelivered goes to the server's list, reported.
void ServerPrivate::handBack(quint64 clientId, DeliveryLedger &ledger)
{
    const int count = ledger.undeliveredCount();
    if (count == 0)
        return;
    for (Message &message : ledger.takeUndelivered(clientId))
        undelivered.push_back(std::move(message));
    Q_EMIT q->clientMessagesDropped(clientId, count);
}

int ServerPrivate::unconfirmedTotal() const
{
    int total = 0;
    for (const auto &entry : connections)
        total += entry.second.ledger && !entry.second.stream ? entry.second.ledger->unconfirmedCount() : 0;
    for (const auto &entry : resumable)
        total += entry.second.ledger->unconfirmedCount();
    return total;
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
    const quint64 stream = it->second.stream;
    std::unique_ptr<DeliveryLedger> ownLedger = std::move(it->second.ownLedger);
    connections.erase(it);
    if (e != Error::NoError)
        failClient(id, e, reason);
    if (wasConnected)
        Q_EMIT q->clientDisconnected(id);
    // A broken connection may resume; one ended on purpose will not.
    if (stream != 0 && resumable.count(stream)) {
        if (e == Error::NoError || status == Status::Closing)
            giveUpResumable(stream);
        else
            waitForResume(stream);
    } else {
        const QPointer<Server> alive(q); // continuations may delete the server
        if (status != Status::Closing) // close() ends them all, as its own cause
            requests->failPeer(id, Error::ConnectionLost,
                               QStringLiteral("client %1 went away before answering").arg(id));
        if (alive && ownLedger)
            giveUp(id, *ownLedger);
    }
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
        resumable.clear();
    }
    // Clients that were waiting to resume will not find this server again.
    while (notify && !resumable.empty())
        giveUpResumable(resumable.begin()->first);
    if (listener)
        listener->close();
    // A slot of accept() (a line client is connected at once) may get here
    // while the listener is handing out that connection: let it return first.
    if (accepting > 0 && listener)
        listener.release()->deleteLater();
    listener.reset();
}

ServerPrivate::Resumable *ServerPrivate::resumableOf(quint64 id)
{
    for (auto &entry : resumable) {
        const std::vector<quint64> &former = entry.second.formerIds;
        if (entry.second.clientId == id || std::find(former.begin(), former.end(), id) != former.end())
            return &entry.second;
    }
    return nullptr;
}

void ServerPrivate::onCorrelated(quint64 id, qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (tag.kind == wire::Correlation::Request) {
        deliver(Message{type, data, id, tag.id});
        return;
    }
    Reply reply;
    reply.message = Message{type, data, id};
    if (tag.kind == wire::Correlation::ErrorReply) {
        reply.error = Error::RemoteError;
        reply.errorCode = tag.code;
        reply.errorString = QString::fromUtf8(data);
    }
    if (!requests->finish(tag.id, id, std::move(reply)))
        qCInfo(lcServer) << "client" << id << "replied to request" << tag.id << "after it had ended (timed out?)";
}

bool ServerPrivate::writeTo(quint64 id, qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (type <= 0)
        return failClient(id, Error::InvalidMessageType,
                          QStringLiteral("write refused: message type %1 is reserved (user types are > 0)").arg(type));
    if (Q_UNLIKELY(tag.isSet()) && !connections.count(id)) {
        // A reply for a client that resumed since (a new id) or is about to.
        if (Resumable *entry = resumableOf(id)) {
            if (!connections.count(entry->clientId)) {
                entry->ledger->queue().push_back(DeliveryLedger::Pending{type, data, tag});
                return true; // sent when it resumes
            }
            id = entry->clientId;
        }
    }
    const auto it = connections.find(id);
    if (it == connections.end() || !it->second.session->isEstablished())
        return failClient(id, Error::NotConnected,
                          QStringLiteral("write refused: no connected client with id %1").arg(id));
    Connection &connection = it->second;
    DeliveryLedger &ledger = *connection.ledger;
    if (ledger.queue().empty() && connection.session->hasRoom()) {
        const quint64 stream = connection.stream;
        Error e = Error::NoError;
        QString reason;
        if (connection.session->send(type, data, &e, &reason, tag))
            return true;
        if (connections.count(id)) // still connected: this message cannot travel
            return failClient(id, e, reason);
        // The write broke the connection (reported as it ended). A client
        // that may resume gets the message then; another never will.
        const auto waiting = resumable.find(stream);
        if (stream == 0 || waiting == resumable.end())
            return false;
        waiting->second.ledger->queue().push_back(DeliveryLedger::Pending{type, data, tag});
        return true;
    }
    if (ledger.queueIsFull())
        return refuseFull(id, connection);
    ledger.queue().push_back(DeliveryLedger::Pending{type, data, tag});
    if (connection.session->hasRoom())
        connection.session->sendQueued();
    const auto still = connections.find(id);
    if (still != connections.end() && still->second.ledger && still->second.ledger->queueIsFull()
        && still->second.writable) {
        still->second.writable = false;
        Q_EMIT q->clientWritableChanged(id, false);
    }
    return true;
}

bool ServerPrivate::refuseFull(quint64 id, Connection &connection)
{
    if (connection.writable) {
        connection.writable = false;
        Q_EMIT q->clientWritableChanged(id, false);
    }
    const auto it = connections.find(id); // a slot may have dropped the client
    if (it == connections.end() || it->second.fullReported)
        return false;
    it->second.fullReported = true;
    return failClient(id, Error::WriteQueueFull,
                      QStringLiteral("write refused: the send window and the write queue (%1 messages) are full")
                          .arg(config.writeQueueLimit));
}

void ServerPrivate::updateWritable(quint64 id)
{
    const auto it = connections.find(id);
    if (it == connections.end() || it->second.writable || !it->second.ledger
        || int(it->second.ledger->queue().size()) > config.writeQueueLimit / 2)
        return;
    it->second.writable = true;
    it->second.fullReported = false;
    Q_EMIT q->clientWritableChanged(id, true);
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
    // Open requests end while the server still exists (see ~Client).
    d->destroying = true;
    d->requests->ended = nullptr;
    d->requests->failAll(Error::NotConnected, QStringLiteral("the server was destroyed before the reply came"));
    // Never blocks: what clients have not confirmed is named, not awaited.
    if (const int unconfirmed = d->unconfirmedTotal(); unconfirmed > 0)
        qCWarning(lcServer).noquote() << "Server at" << d->addressText << "destroyed with" << unconfirmed
                                      << "unconfirmed message(s) to its clients";
    d->closeAll(false);
    d->stopObserving();
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
    if (d->observer && !d->observing) {
        d->observing = true;
        d->observer->endpointOpened(d->endpoint, protocol::Role::Server, d->listener->listeningAddress(),
                                    d->config.protocol, d->config.reportPayloads);
    }
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

QFuture<Reply> Server::request(quint64 clientId, qint32 type, const QByteArray &data,
                               std::chrono::milliseconds timeout)
{
    if (d->foreignWrites->fromOtherThread())
        return RequestTracker::failed(Error::InvalidConfiguration,
                                      QStringLiteral("request refused: call request() from the server's own thread"));
    Session *session = d->established(clientId);
    if (!session)
        return RequestTracker::failed(Error::NotConnected,
                                      QStringLiteral("request refused: no connected client with id %1").arg(clientId));
    if (!session->delivery().requests)
        return RequestTracker::failed(Error::ProtocolMismatch,
                                      QStringLiteral("request refused: client %1's wire cannot carry a reply "
                                                     "(golang-ipc v2, the line wire)").arg(clientId));
    if (d->destroying)
        return RequestTracker::failed(Error::NotConnected, QStringLiteral("request refused: the server is being destroyed"));
    QFuture<Reply> future;
    const quint64 id = d->requests->open(clientId, timeout, &future);
    d->lastClientError = Error::NoError;
    if (!d->writeTo(clientId, type, data, wire::Correlation{wire::Correlation::Request, 0, id}))
        d->requests->fail(id, d->lastClientError == Error::NoError ? Error::NotConnected : d->lastClientError,
                          d->lastClientReason);
    return future;
}

// reply() and replyError(): a tagged message to the client that asked, from any thread.
bool ServerPrivate::answer(const Message &request, qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (foreignWrites->fromOtherThread())
        return postFromOtherThread([this, request, type, data, tag] { answer(request, type, data, tag); });
    if (!request.isRequest())
        return failClient(request.clientId, Error::InvalidMessageType,
                          QStringLiteral("reply refused: the message of type %1 is not a request").arg(request.type));
    return writeTo(request.clientId, type, data, tag);
}

bool Server::reply(const Message &request, qint32 type, const QByteArray &data)
{
    return d->answer(request, type, data, wire::Correlation{wire::Correlation::Reply, 0, request.requestId});
}

// An error reply repeats the request's type; its data is the text.
bool Server::replyError(const Message &request, qint32 code, const QString &text)
{
    return d->answer(request, qMax(request.type, 1), text.toUtf8(),
                     wire::Correlation{wire::Correlation::ErrorReply, code, request.requestId});
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

int Server::refusedPeerCount() const
{
    return d->refusedPeers;
}

int Server::unconfirmedMessageCount(quint64 clientId) const
{
    const auto it = d->connections.find(clientId);
    return it != d->connections.end() && it->second.ledger ? it->second.ledger->unconfirmedCount() : 0;
}

bool Server::isWritable(quint64 clientId) const
{
    const auto it = d->connections.find(clientId);
    return it != d->connections.end() && it->second.writable;
}

QList<Message> Server::takeUndeliveredMessages(quint64 clientId)
{
    QList<Message> taken;
    std::deque<Message> kept;
    for (Message &message : d->undelivered) {
        if (clientId == 0 || message.clientId == clientId)
            taken.append(std::move(message));
        else
            kept.push_back(std::move(message));
    }
    d->undelivered = std::move(kept);
    return taken;
}

bool Server::waitForDelivered(std::chrono::milliseconds timeout)
{
    const auto allConfirmed = [this] {
        for (const auto &entry : d->connections) {
            if (entry.second.ledger && entry.second.ledger->unconfirmedCount() > 0)
                return false;
        }
        return true;
    };
    return waitUntil(timeout, allConfirmed, this, &Server::clientMessagesDelivered, &Server::clientDisconnected);
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
    d->requests->failAll(Error::NotConnected, QStringLiteral("the server was closed before the reply came"));
    d->setStatus(Status::Closed);
    d->stopObserving();
}

} // namespace ipc
