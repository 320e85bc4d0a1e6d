// Client: what goes through the link (writes, requests, replies, pings),
// what it tells about it, and the blocking waits for scripts and tests.
#include "client_p.h"

#include "objects/object_protocol.h"
#include "requests.h"
#include "transport/stream.h"
#include "wait.h"

#include <QFutureWatcher>
#include <QPointer>

namespace ipc {

// Inlined into write(): the plain message's path stays one call deep.
Q_ALWAYS_INLINE Result ClientPrivate::send(
    qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (misconfigured)
        return Result::failure(error, errorString);
    if (type <= 0)
        return Result::failure(Error::InvalidMessageType,
            QStringLiteral("write refused: message type %1 is reserved (user types are > 0)")
                .arg(type));
    if (Q_UNLIKELY(disconnecting))
        return Result::failure(Error::NotConnected,
            QStringLiteral("write refused: disconnectFromServer() was called"));
    if (status == Status::Connected && link.canSendNow()) {
        Result sent = link.sendNow(type, data, tag);
        if (sent.ok() || link.isEstablished())
            return sent; // sent, or this message cannot travel
        // The connection ended while writing: the message waits for the next one.
    }
    if (!isTrying() && status != Status::Connected)
        return Result::failure(Error::NotConnected,
            QStringLiteral("write refused: the client is not connecting (status %1); "
                           "call connectToServer() first")
                .arg(q->statusString()));
    const quint32 limit = server.maxMessageSize;
    if (limit > 0 && quint64(data.size()) > limit)
        return Result::failure(Error::MessageTooLarge,
            QStringLiteral(
                "write refused: %1 bytes exceed the server's maximum message size of %2 bytes")
                .arg(data.size())
                .arg(limit));
    return link.enqueue(type, data, tag);
}

// A refusal is told once: through errorOccurred(), or (a full queue, again)
// only in error() and errorString().
static bool report(ClientPrivate *d, const Result &result)
{
    if (Q_LIKELY(result.ok()))
        return true;
    if (result.alreadyReported) {
        d->error = result.error;
        d->errorString = result.reason;
        return false;
    }
    return d->fail(result);
}

bool Client::write(qint32 type, const QByteArray &data)
{
    if (d->foreignWrites->fromOtherThread()) {
        return d->foreignWrites->post([this, type, data] { write(type, data); },
            [this] {
                d->fail(Error::WriteQueueFull,
                    QStringLiteral("write refused: %1 writes from other threads already wait "
                                   "(writeQueueLimit)")
                        .arg(d->foreignWrites->limit()));
            });
    }
    return report(d.get(), d->send(type, data, wire::Correlation()));
}

RequestTracker *ClientPrivate::tracker()
{
    if (!requests) {
        requests = new RequestTracker(q); // a child: moveToThread() takes its timer along
        requests->ended = [this](quint64 id, quint64, bool timedOut) {
            if (timedOut)
                link.withdrawQueuedRequest(id);
            checkDisconnectDone();
        };
        requests->timed = [this](quint64 peer, qint32 type, quint64 label, telemetry::RequestOutcome outcome,
                                 qint64 nanoseconds) {
            observer->requestEnded(endpoint, peer, type, label, outcome, nanoseconds);
        };
        link.setRequests(requests);
    }
    return requests;
}

int ClientPrivate::openRequests() const
{
    return requests ? requests->openCount() : 0;
}

void ClientPrivate::startRequest(qint32 type, const QByteArray &data,
    std::chrono::milliseconds timeout, QPromise<Reply> promise, wire::Correlation::Kind kind)
{
    const bool object = kind == wire::Correlation::Object;
    if (misconfigured)
        return RequestTracker::fail(promise, error, errorString);
    if (destroying)
        return RequestTracker::fail(promise, Error::NotConnected,
            QStringLiteral("request refused: the client is being destroyed"));
    if (config.protocol != Protocol::Native
        || (link.isEstablished()
            && !(object ? session()->delivery().objects : session()->delivery().requests)))
        return RequestTracker::fail(promise, Error::ProtocolMismatch,
            object ? QStringLiteral("remote objects refused: the server's wire or library "
                                    "has none (golang-ipc v2, the line wire and libipc "
                                    "versions before remote objects)")
                   : QStringLiteral("request refused: the server's wire cannot carry a reply "
                                    "(requests need libipc's native protocol in a version "
                                    "with requests; golang-ipc v2 and the line wire have none)"));
    const quint64 id = tracker()->open(0, timeout, std::move(promise));
    const wire::Correlation tag { kind, 0, id };
    if (observer)
        requests->time(id, type, observer->requestLabel(type, data, tag));
    const Result sent = send(type, data, tag);
    const QPointer<Client> alive(q);
    if (!report(this, sent) && alive)
        requests->fail(id, sent.error, sent.reason);
}

QFuture<Reply> Client::request(
    qint32 type, const QByteArray &data, std::chrono::milliseconds timeout)
{
    return startRequest(*d->foreignWrites, [this, type, data, timeout](QPromise<Reply> promise) {
        d->startRequest(type, data, timeout, std::move(promise));
    });
}

Reply Client::call(qint32 type, const QByteArray &data, std::chrono::milliseconds timeout)
{
    // A blocking wait like the others: what arrives meanwhile is kept for
    // the next waitForMessage(), so a script that calls and then waits
    // loses nothing.
    const WaitInbox::Waiting waiting(d->inbox);
    QFuture<Reply> future = request(type, data, timeout);
    if (!future.isFinished()) {
        QFutureWatcher<Reply> watcher;
        QEventLoop loop;
        connect(&watcher, &QFutureWatcher<Reply>::finished, &loop, &QEventLoop::quit);
        watcher.setFuture(future);
        if (!future.isFinished())
            loop.exec();
    }
    return future.result();
}

// reply() and replyError(): a tagged message back to the server, from any thread.
bool ClientPrivate::answer(const Message &request, const Answer &answer)
{
    if (foreignWrites->fromOtherThread())
        return foreignWrites->post([this, request, answer] { this->answer(request, answer); },
            [this] {
                fail(Error::WriteQueueFull,
                    QStringLiteral("reply refused: too many writes from other threads wait"));
            });
    if (const Result checked = Answer::check(request); !checked.ok())
        return fail(checked);
    return report(this, send(answer.type, answer.data, answer.tag));
}

bool Client::reply(const Message &request, qint32 type, const QByteArray &data)
{
    return d->answer(request, Answer::reply(request, type, data));
}

bool Client::replyError(const Message &request, qint32 code, const QString &text)
{
    return d->answer(request, Answer::error(request, code, text));
}

bool Client::ping()
{
    if (d->status != Status::Connected || !d->session())
        return d->fail(Error::NotConnected, QStringLiteral("ping refused: not connected"));
    const quint64 token = ++d->lastPing;
    if (!d->session()->ping(token))
        return d->fail(
            Error::ProtocolMismatch, QStringLiteral("ping refused: the server's wire has no ping"));
    if (d->pings.size() >= 64) // answers that never came: forget the oldest
        d->pings.erase(d->pings.begin());
    d->pings[token].start();
    return true;
}

QString Client::address() const
{
    return d->addressText;
}

ClientConfig Client::config() const
{
    return d->config;
}

Client::State Client::state() const
{
    return ClientPrivate::stateOf(d->status);
}

Status Client::status() const
{
    return d->status;
}

QString Client::statusString() const
{
    return ipc::statusString(d->status);
}

bool Client::isConnected() const
{
    return d->status == Status::Connected;
}

Error Client::error() const
{
    return d->error;
}

QString Client::errorString() const
{
    return d->errorString;
}

EncryptionInfo Client::encryption() const
{
    return d->encryption;
}

PeerInfo Client::serverInfo() const
{
    return d->server;
}

int Client::queuedMessageCount() const
{
    return int(d->ledger().queue().size());
}

int Client::unconfirmedMessageCount() const
{
    return d->ledger().applicationUnconfirmedCount();
}

qint64 Client::bytesToWrite() const
{
    return (d->session() ? d->session()->bytesToWrite() : 0) + d->ledger().queuedBytes();
}

bool Client::flush()
{
    return d->session() && d->session()->flush();
}

bool Client::isWritable() const
{
    return d->link.isWritable();
}

QList<Message> Client::takeUndeliveredMessages()
{
    return d->ledger().takeUndelivered(0);
}

bool Client::waitForConnected(std::chrono::milliseconds timeout)
{
    const WaitInbox::Waiting waiting(d->inbox);
    const bool ok = waitUntil(
        timeout, [this] { return d->status == Status::Connected || !d->isTrying(); }, this,
        &Client::statusChanged);
    return ok && d->status == Status::Connected;
}

bool Client::waitForBytesWritten(std::chrono::milliseconds timeout)
{
    if (bytesToWrite() == 0)
        return true;
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(this, &Client::statusChanged, &loop, &QEventLoop::quit);
    connect(this, &Client::messagesDelivered, &loop, &QEventLoop::quit);
    // The session changes with each connection: follow the current one.
    QPointer<Session> watched;
    QMetaObject::Connection written;
    const WaitInbox::Waiting waiting(d->inbox);
    timer.start(timeout);
    while (bytesToWrite() > 0 && timer.isActive()) {
        if (d->session() != watched) {
            disconnect(written);
            watched = d->session();
            if (watched)
                written = connect(watched, &Session::bytesWritten, &loop, &QEventLoop::quit);
        }
        loop.exec();
    }
    disconnect(written);
    return bytesToWrite() == 0;
}

bool Client::waitForDelivered(std::chrono::milliseconds timeout)
{
    const int droppedBefore = d->droppedTotal;
    const WaitInbox::Waiting waiting(d->inbox);
    waitUntil(
        timeout, [this] { return d->ledger().unconfirmedCount() == 0; }, this,
        &Client::messagesDelivered, &Client::statusChanged, &Client::messagesDropped);
    return d->ledger().unconfirmedCount() == 0 && d->droppedTotal == droppedBefore;
}

bool Client::waitForDisconnected(std::chrono::milliseconds timeout)
{
    const WaitInbox::Waiting waiting(d->inbox);
    return waitUntil(
        timeout,
        [this] { return !d->disconnecting && !d->isTrying() && d->status != Status::Connected; },
        this, &Client::statusChanged);
}

Message Client::waitForMessage(std::chrono::milliseconds timeout)
{
    const auto stopped = [this] {
        return d->status == Status::Closed || d->status == Status::Error
            || d->status == Status::Timeout;
    };
    {
        const WaitInbox::Waiting waiting(d->inbox);
        waitUntil(
            timeout, [&] { return !d->inbox.isEmpty() || stopped(); }, this,
            &Client::messageReceived, &Client::statusChanged);
    }
    if (!d->inbox.isEmpty())
        return d->inbox.take();
    if (stopped())
        return Message { Message::ClosedNotice, d->errorString.toUtf8(), 0 };
    return Message { Message::StatusNotice, QByteArrayLiteral("timed out waiting for a message"),
        0 };
}

} // namespace ipc

namespace ipc {

namespace {

// The remote-object layer's way down: tagged messages through the link.
class ClientObjectChannel final : public objects::ObjectChannel
{
public:
    explicit ClientObjectChannel(ClientPrivate *d)
        : d(d)
    {
    }

    QObject *context() const override { return d->q; }

    Result send(quint64, qint32 op, const QByteArray &data) override
    {
        return d->send(op, data, wire::Correlation { wire::Correlation::Object, 0, 0 });
    }

    QFuture<Reply> call(
        quint64, qint32 op, const QByteArray &data, std::chrono::milliseconds timeout) override
    {
        QPromise<Reply> promise;
        QFuture<Reply> future = promise.future();
        promise.start();
        d->startRequest(op, data, timeout, std::move(promise), wire::Correlation::Object);
        return future;
    }

    Result answer(const Message &call, const QByteArray &data) override
    {
        Answer reply = Answer::reply(call, call.type, data);
        reply.tag.internal = true; // left out of the application's counts
        return d->send(reply.type, reply.data, reply.tag);
    }

    Result answerError(const Message &call, Error error, const QString &text) override
    {
        Answer reply = Answer::error(call, qint32(error), text);
        reply.tag.internal = true;
        return d->send(reply.type, reply.data, reply.tag);
    }

    void report(quint64, Error error, const QString &text) override { d->fail(error, text); }

    void describe(const ObjectNames &names) override
    {
        if (d->observer)
            d->observer->objectNamed(d->endpoint, names);
    }

private:
    ClientPrivate *const d;
};

} // namespace

objects::ObjectEndpoint &ClientPrivate::objectLayer()
{
    if (!objects)
        objects = std::make_unique<objects::ObjectEndpoint>(
            std::make_unique<ClientObjectChannel>(this));
    return *objects;
}

bool Client::exposeObject(QObject *object, const QString &name)
{
    const Result exposed = d->objectLayer().sources().expose(object, name);
    return exposed.ok() || d->fail(exposed);
}

bool Client::unexposeObject(const QString &name)
{
    return d->objects
        && d->objects->sources().withdraw(name, QStringLiteral("unexposed by its host"));
}

QStringList Client::exposedObjects() const
{
    return d->objects ? d->objects->sources().names() : QStringList();
}

DynamicReplica *Client::acquireDynamic(const QString &name, QObject *parent)
{
    auto *replica = new DynamicReplica(parent);
    attachReplica(replica, name);
    return replica;
}

QFuture<QStringList> Client::remoteObjectNames(std::chrono::milliseconds timeout)
{
    QFuture<Reply> answer
        = d->objectLayer().channel().call(0, objects::List, objects::encode(QCborValue()), timeout);
    return answer.then(this, [](const Reply &reply) {
        if (!reply.isOk())
            throw RemoteCallError(objects::errorOf(reply),
                QStringLiteral("listing the server's objects failed: %1").arg(reply.errorString));
        QCborValue list;
        QString why;
        if (!objects::decodeItem(reply.message.data, &list, &why) || !list.isArray())
            throw RemoteCallError(Error::ProtocolError,
                QStringLiteral("the server's list of objects is malformed%1")
                    .arg(why.isEmpty() ? QString() : QStringLiteral(": ") + why));
        QStringList names;
        for (const QCborValue &entry : list.toArray())
            names.append(entry[QStringLiteral("name")].toString());
        return names;
    });
}

void Client::attachReplica(Replica *replica, const QString &name)
{
    d->objectLayer().replicas().attach(replica, 0, name);
}

} // namespace ipc
