// Server: what goes to its clients through their links (writes, requests,
// replies, broadcasts), what it tells about them, and the blocking waits.
#include "server_p.h"

#include "requests.h"
#include "transport/listener.h"
#include "wait.h"

#include <QPointer>

namespace ipc {

Result ServerPrivate::writeTo(quint64 id, qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (type <= 0)
        return Result::failure(
            Error::InvalidMessageType,
            QStringLiteral("write refused: message type %1 is reserved (user types are > 0)").arg(type));
    if (Q_UNLIKELY(tag.isSet()) && !connections.count(id)) {
        // A reply for a client that resumed since (a new id) or is about to.
        if (Resumable *entry = resumableOf(id)) {
            if (!connections.count(entry->clientId)) {
                entry->ledger->enqueue(DeliveryLedger::Pending{type, data, tag});
                return {}; // sent when it resumes
            }
            id = entry->clientId;
        }
    }
    Link *link = established(id);
    if (!link)
        return Result::failure(Error::NotConnected,
                               QStringLiteral("write refused: no connected client with id %1").arg(id));
    if (!link->canSendNow())
        return link->enqueue(type, data, tag);
    const quint64 stream = connections.at(id).stream;
    Result sent = link->sendNow(type, data, tag);
    if (sent.ok() || connections.count(id)) // still connected: this message cannot travel
        return sent;
    // The write broke the connection (reported as it ended). A client that
    // may resume gets the message then; another never will.
    const auto waiting = resumable.find(stream);
    if (stream == 0 || waiting == resumable.end()) {
        sent.alreadyReported = true;
        return sent;
    }
    waiting->second.ledger->enqueue(DeliveryLedger::Pending{type, data, tag});
    return {};
}

bool Server::write(quint64 clientId, qint32 type, const QByteArray &data)
{
    if (d->foreignWrites->fromOtherThread())
        return d->postFromOtherThread([this, clientId, type, data] { write(clientId, type, data); });
    return d->report(clientId, d->writeTo(clientId, type, data));
}

int Server::broadcast(qint32 type, const QByteArray &data)
{
    const bool foreign = d->foreignWrites->fromOtherThread();
    if (foreign && type > 0) // the count a caller on another thread may read
        return d->postFromOtherThread([this, type, data] { broadcast(type, data); }) ? d->connectedCount.load() : 0;
    if (foreign) {
        QMetaObject::invokeMethod(this, [this, type] {
            d->fail(Error::InvalidMessageType,
                    QStringLiteral("broadcast refused: message type %1 is reserved (user types are > 0)").arg(type));
        }, Qt::QueuedConnection);
        return 0;
    }
    if (type <= 0) {
        d->fail(Error::InvalidMessageType,
                QStringLiteral("broadcast refused: message type %1 is reserved (user types are > 0)").arg(type));
        return 0;
    }
    int sent = 0;
    for (quint64 id : clientIds()) {
        // A slot of an earlier write may have dropped this client.
        if (d->established(id) && d->report(id, d->writeTo(id, type, data)))
            ++sent;
    }
    return sent;
}

void ServerPrivate::startRequest(quint64 clientId, qint32 type, const QByteArray &data,
                                 std::chrono::milliseconds timeout, QPromise<Reply> promise,
                                 wire::Correlation::Kind kind)
{
    const bool object = kind == wire::Correlation::Object;
    Link *link = established(clientId);
    if (!link)
        return RequestTracker::fail(promise, Error::NotConnected,
                                    QStringLiteral("request refused: no connected client with id %1").arg(clientId));
    if (!(object ? link->session()->delivery().objects : link->session()->delivery().requests))
        return RequestTracker::fail(promise, Error::ProtocolMismatch,
                                    object ? QStringLiteral("remote objects refused: client %1's wire or library "
                                                            "has none (golang-ipc v2, the line wire, libipc "
                                                            "versions before remote objects)").arg(clientId)
                                           : QStringLiteral("request refused: client %1's wire cannot carry a reply "
                                                            "(golang-ipc v2, the line wire)").arg(clientId));
    if (destroying)
        return RequestTracker::fail(promise, Error::NotConnected,
                                    QStringLiteral("request refused: the server is being destroyed"));
    const quint64 id = requests->open(clientId, timeout, std::move(promise));
    const wire::Correlation tag{kind, 0, id};
    if (observer)
        requests->time(id, type, observer->requestLabel(type, data, tag));
    const Result sent = writeTo(clientId, type, data, tag);
    const QPointer<Server> alive(q);
    if (!report(clientId, sent) && alive)
        requests->fail(id, sent.error, sent.reason);
}

QFuture<Reply> Server::request(quint64 clientId, qint32 type, const QByteArray &data,
                               std::chrono::milliseconds timeout)
{
    return startRequest(*d->foreignWrites, [this, clientId, type, data, timeout](QPromise<Reply> promise) {
        d->startRequest(clientId, type, data, timeout, std::move(promise));
    });
}

// reply() and replyError(): a tagged message to the client that asked, from any thread.
bool ServerPrivate::answer(const Message &request, const Answer &answer)
{
    if (foreignWrites->fromOtherThread())
        return postFromOtherThread([this, request, answer] { this->answer(request, answer); });
    if (const Result checked = Answer::check(request); !checked.ok())
        return failClient(request.clientId, checked.error, checked.reason);
    return report(request.clientId, writeTo(request.clientId, answer.type, answer.data, answer.tag));
}

bool Server::reply(const Message &request, qint32 type, const QByteArray &data)
{
    return d->answer(request, Answer::reply(request, type, data));
}

bool Server::replyError(const Message &request, qint32 code, const QString &text)
{
    return d->answer(request, Answer::error(request, code, text));
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

Server::State Server::state() const
{
    return ServerPrivate::stateOf(d->status);
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
        if (entry.second.link->isEstablished())
            ids.append(entry.first);
    }
    return ids;
}

QList<ClientInfo> Server::clients() const
{
    QList<ClientInfo> list;
    for (const auto &entry : d->connections) {
        if (entry.second.link->isEstablished())
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

int Server::refusedPeerCount() const
{
    return d->refusedPeers;
}

int Server::unconfirmedMessageCount(quint64 clientId) const
{
    const auto it = d->connections.find(clientId);
    return it != d->connections.end() && it->second.link->ledger()
        ? it->second.link->ledger()->applicationUnconfirmedCount()
        : 0;
}

bool Server::isWritable(quint64 clientId) const
{
    const auto it = d->connections.find(clientId);
    return it != d->connections.end() && it->second.link->isWritable();
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
            if (entry.second.link->ledger() && entry.second.link->ledger()->unconfirmedCount() > 0)
                return false;
        }
        return true;
    };
    return waitUntil(timeout, allConfirmed, this, &Server::clientMessagesDelivered, &Server::clientDisconnected);
}

Message Server::waitForMessage(std::chrono::milliseconds timeout)
{
    bool got = false;
    {
        const WaitInbox::Waiting waiting(d->inbox);
        got = waitUntil(timeout, [this] { return !d->inbox.isEmpty(); }, this, &Server::messageReceived);
    }
    if (!got)
        return Message{Message::StatusNotice, QByteArrayLiteral("timed out waiting for a message"), 0};
    return d->inbox.take();
}

bool Server::waitForClient(std::chrono::milliseconds timeout)
{
    return waitUntil(timeout, [this] { return clientCount() > 0; }, this, &Server::clientConnected);
}

} // namespace ipc

namespace ipc {

namespace {

// The remote-object layer's way down: tagged messages to one client.
class ServerObjectChannel final : public objects::ObjectChannel
{
public:
    explicit ServerObjectChannel(ServerPrivate *d)
        : d(d)
    {
    }

    QObject *context() const override { return d->q; }

    Result send(quint64 peer, qint32 op, const QByteArray &data) override
    {
        return d->writeTo(peer, op, data, wire::Correlation{wire::Correlation::Object, 0, 0});
    }

    QFuture<Reply> call(quint64 peer, qint32 op, const QByteArray &data, std::chrono::milliseconds timeout) override
    {
        QPromise<Reply> promise;
        QFuture<Reply> future = promise.future();
        promise.start();
        d->startRequest(peer, op, data, timeout, std::move(promise), wire::Correlation::Object);
        return future;
    }

    Result answer(const Message &call, const QByteArray &data) override
    {
        Answer reply = Answer::reply(call, call.type, data);
        reply.tag.internal = true; // left out of the application's counts
        return d->writeTo(call.clientId, reply.type, reply.data, reply.tag);
    }

    Result answerError(const Message &call, Error error, const QString &text) override
    {
        Answer reply = Answer::error(call, qint32(error), text);
        reply.tag.internal = true;
        return d->writeTo(call.clientId, reply.type, reply.data, reply.tag);
    }

    void report(quint64 peer, Error error, const QString &text) override { d->failClient(peer, error, text); }

    void describe(const ObjectNames &names) override
    {
        if (d->observer)
            d->observer->objectNamed(d->endpoint, names);
    }

private:
    ServerPrivate *const d;
};

} // namespace

objects::ObjectEndpoint &ServerPrivate::objectLayer()
{
    if (!objects)
        objects = std::make_unique<objects::ObjectEndpoint>(std::make_unique<ServerObjectChannel>(this));
    return *objects;
}

bool Server::exposeObject(QObject *object, const QString &name)
{
    const Result exposed = d->objectLayer().sources().expose(object, name);
    return exposed.ok() || d->fail(exposed.error, exposed.reason);
}

bool Server::unexposeObject(const QString &name)
{
    return d->objects && d->objects->sources().withdraw(name, QStringLiteral("unexposed by its host"));
}

QStringList Server::exposedObjects() const
{
    return d->objects ? d->objects->sources().names() : QStringList();
}

DynamicReplica *Server::acquireDynamic(quint64 clientId, const QString &name, QObject *parent)
{
    auto *replica = new DynamicReplica(parent);
    attachReplica(replica, clientId, name);
    return replica;
}

void Server::attachReplica(Replica *replica, quint64 clientId, const QString &name)
{
    d->objectLayer().replicas().attach(replica, clientId, name);
}

} // namespace ipc
