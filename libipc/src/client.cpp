#include <ipc/client.h>

#include "address.h"
#include "config_check.h"
#include "cross_thread.h"
#include "delivery.h"
#include "logging.h"
#include "requests.h"
#include "session.h"
#include "session_observer.h"
#include "transport/stream.h"
#include "wait.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QIODevice>
#include <QPointer>
#include <QTimer>

#include <climits>
#include <deque>
#include <map>

namespace ipc {

namespace {

// Errors that another attempt cannot fix: the two sides disagree.
bool isFatal(Error error)
{
    return error == Error::EncryptionRequired || error == Error::PreSharedKeyMismatch
        || error == Error::ProtocolMismatch || error == Error::HandshakeFailed
        || error == Error::PermissionDenied;
}

DeliveryLedger::Limits ledgerLimits(const ClientConfig &config)
{
    return DeliveryLedger::Limits{config.sendWindow.messages, config.sendWindow.bytes, config.writeQueueLimit};
}

} // namespace

class ClientPrivate
{
public:
    ClientPrivate(Client *q, const QString &addressText, const ClientConfig &config)
        : q(q)
        , addressText(addressText)
        , address(Address::parse(addressText))
        , config(config)
        , ledger(ledgerLimits(config))
        , foreignWrites(new CrossThreadWrites(q, config.writeQueueLimit))
    {
        retryTimer.setParent(q); // moveToThread() takes it along
        retryTimer.setSingleShot(true);
        QObject::connect(&retryTimer, &QTimer::timeout, q, [this] { attempt(); });
        attemptTimer.setParent(q);
        attemptTimer.setSingleShot(true);
        QObject::connect(&attemptTimer, &QTimer::timeout, q, [this] { onAttemptTimedOut(); });
        disconnectTimer.setParent(q);
        disconnectTimer.setSingleShot(true);
        QObject::connect(&disconnectTimer, &QTimer::timeout, q, [this] { onDisconnectTimeout(); });
    }

    void setStatus(Status s)
    {
        if (status == s)
            return;
        status = s;
        if (observer && observing)
            observer->endpointStatusChanged(endpoint, s);
        Q_EMIT this->q->statusChanged(s);
    }

    bool fail(Error e, const QString &reason)
    {
        error = e;
        errorString = reason;
        qCInfo(lcClient).noquote() << reason;
        Q_EMIT q->errorOccurred(e);
        return false;
    }

    // Whether write() would take another message now.
    bool canAccept() const
    {
        return !ledger.queueIsFull() || (status == Status::Connected && session && ledger.queue().empty() && session->hasRoom());
    }
    void setWritable(bool on)
    {
        if (writable == on)
            return;
        writable = on;
        fullReported = false;
        Q_EMIT q->writableChanged(on);
    }
    // Writable again once the queue has drained to half (or, without a
    // queue, once the window has room): fewer flips than at every message.
    void updateWritable()
    {
        if (!writable
            && (int(ledger.queue().size()) <= config.writeQueueLimit / 2 && canAccept()))
            setWritable(true);
    }
    bool refuseFull();

    // A client also counts as trying before its first attempt has begun.
    bool isTrying() const
    {
        return startPending || status == Status::Connecting || status == Status::Reconnecting;
    }
    // The constructor's cause stays: later calls report it again unchanged.
    bool failMisconfigured()
    {
        qCInfo(lcClient).noquote() << errorString;
        Q_EMIT q->errorOccurred(error);
        return false;
    }

    void start(Status trying);
    void attempt();
    void onStreamConnected();
    void onAttemptFailed(Error e, const QString &reason);
    void onAttemptTimedOut();
    DeliveryLedger *attachLedger(Session *session);
    void onEstablished();
    void onAcknowledged(int count);
    void onRefused(int count, Error e, const QString &reason);
    // Counts and reports what was given up; requests among it fail with
    // requestError. False when a slot or continuation deleted the client.
    bool reportDropped(int count, const QString &why, Error requestError = Error::NotConnected);
    void checkDisconnectDone();
    void onDisconnectTimeout();
    void onSessionFinished(Error e, const QString &reason);
    void retryOrGiveUp(Error e, const QString &reason);
    void giveUp(Status finalStatus, Error e, const QString &reason);
    void dropAll(const QString &why);
    void deliver(const Message &message);
    void onCorrelated(qint32 type, const QByteArray &data, const wire::Correlation &tag);
    bool answer(const Message &request, qint32 type, const QByteArray &data, const wire::Correlation &tag);
    // Requests the server received but can no longer answer (it said
    // goodbye, or a new server process took its place). False when a
    // continuation deleted the client.
    bool failAnsweredNever(const QString &why);
    void discardConnection();
    // Inlined into write(): the plain message's path stays one call deep.
    Q_ALWAYS_INLINE bool send(qint32 type, const QByteArray &data, const wire::Correlation &tag);

    Client *q;
    QString addressText;
    Address address;
    ClientConfig config;
    Status status = Status::NotConnected;
    Error error = Error::NoError;
    QString errorString;
    bool misconfigured = false; // a bad address or configuration: nothing will connect
    bool startPending = false;  // constructed; the first attempt starts from the event loop

    Stream *connecting = nullptr; // a connection attempt under way
    Session *session = nullptr;   // preamble onwards
    QTimer retryTimer;
    QTimer attemptTimer; // a connection attempt the system leaves hanging (a SYN never answered)
    QElapsedTimer trying;         // since connecting or reconnecting began
    int attempts = 0;
    DeliveryLedger ledger;        // queue, window and what the server delivered, across connections
    quint64 lastServerInstance = 0; // which server object the ledger last spoke with
    int droppedOnRestart = 0;     // unconfirmed messages given up on a new server (at most once)
    bool restartedServer = false; // a new server process: its requests to fail once connected
    bool destroying = false;      // ~Client: new requests fail at once
    int refusedWhileConnecting = 0; // queued messages the new server cannot take, reported once connected
    Error refusalError = Error::NoError;
    QString refusal;
    bool writable = true;
    bool fullReported = false;    // this stretch of a full queue has been reported
    bool disconnecting = false;   // disconnectFromServer(): deliver, then close
    QTimer disconnectTimer;
    int droppedTotal = 0;
    // ping(): tokens on their way and when each left; a few at most.
    std::map<quint64, QElapsedTimer> pings;
    quint64 lastPing = 0;
    // Telemetry: this endpoint's id and where it reports (null: nowhere).
    const quint64 endpoint = nextConnectionId();
    SessionObserver *const observer = observerFor(config.monitoring);
    bool observing = false; // from the first attempt to destruction
    CrossThreadWrites *foreignWrites; // writes from other threads on their way here
    RequestTracker *requests = nullptr; // request()s waiting for their reply; made by the first
    RequestTracker *tracker()
    {
        if (!requests) {
            requests = new RequestTracker(q); // a child: moveToThread() takes its timer along
            requests->ended = [this](quint64 id, quint64, bool timedOut) {
                if (timedOut && ledger.withdrawQueuedRequest(id)) // nobody waits for its answer now
                    updateWritable();
                checkDisconnectDone();
            };
        }
        return requests;
    }
    int openRequests() const { return requests ? requests->openCount() : 0; }
    std::deque<Message> inbox;    // messages that arrived during a blocking wait
    int waiters = 0;
    EncryptionInfo encryption;
    PeerInfo server;
};

void ClientPrivate::start(Status tryingStatus)
{
    startPending = false;
    if (observer && !observing) {
        observing = true;
        observer->endpointOpened(endpoint, protocol::Role::Client, address.toString(), config.protocol,
                                 config.reportPayloads);
    }
    attempts = 0;
    trying.start();
    setStatus(tryingStatus);
    attempt();
}

void ClientPrivate::attempt()
{
    if (!isTrying())
        return;
    connecting = Stream::create(address, q);
    QObject::connect(connecting, &Stream::connected, q, [this] { onStreamConnected(); });
    QObject::connect(connecting, &Stream::closed, q,
                     [this](Error e, const QString &reason) { onAttemptFailed(e, reason); });
    // One attempt lasts at most handshakeTimeout, and never past the
    // client's own timeout: a connect the system keeps retrying must not
    // outlive either.
    qint64 limit = config.handshakeTimeout.count();
    if (config.timeout.count() > 0) {
        const qint64 left = qMax<qint64>(1, config.timeout.count() - trying.elapsed());
        limit = limit > 0 ? qMin(limit, left) : left;
    }
    if (limit > 0)
        attemptTimer.start(int(qMin<qint64>(limit, INT_MAX)));
    connecting->connectToPeer(address);
}

void ClientPrivate::onAttemptTimedOut()
{
    if (!connecting)
        return;
    Stream *stale = std::exchange(connecting, nullptr);
    stale->disconnect(q);
    stale->close();
    stale->deleteLater();
    retryOrGiveUp(Error::Timeout, QStringLiteral("the connection attempt to %1 got no answer within %2 ms")
                                      .arg(address.toString()).arg(attemptTimer.interval()));
}

void ClientPrivate::onStreamConnected()
{
    attemptTimer.stop();
    Stream *stream = connecting;
    connecting = nullptr;
    stream->disconnect(q);
    Session::Options options;
    options.adapter.role = Session::Role::Client;
    options.adapter.protocol = config.protocol;
    options.adapter.maxMessageSize = config.effectiveMaxMessageSize();
    options.adapter.encryption = config.encryptionRequired;
    options.adapter.preSharedKey = config.preSharedKey;
    options.handshakeTimeout = config.handshakeTimeout;
    options.heartbeatInterval = config.heartbeatInterval;
    options.observer = observer;
    options.endpoint = endpoint;
    options.id = nextConnectionId();
    options.adapter.acknowledgements = true;
    options.adapter.instance = ledger.stream();
    options.adapter.windowMessages = quint32(config.sendWindow.messages);
    options.adapter.windowBytes = quint32(qMin<qint64>(config.sendWindow.bytes, 0xffffffffLL));
    options.attachLedger = [this](Session *established) { return attachLedger(established); };
    session = new Session(stream, options, q);
    QObject::connect(session, &Session::established, q, [this] { onEstablished(); });
    QObject::connect(session, &Session::acknowledged, q, [this](int count) { onAcknowledged(count); });
    QObject::connect(session, &Session::queueDrained, q, [this] { updateWritable(); });
    QObject::connect(session, &Session::pongReceived, q, [this](quint64 token) {
        const auto it = pings.find(token);
        if (it == pings.end())
            return;
        const quint64 elapsed = quint64(it->second.nsecsElapsed() / 1000);
        pings.erase(it);
        Q_EMIT this->q->pong(elapsed);
    });
    QObject::connect(session, &Session::messagesRefused, q,
                     [this](int count, Error e, const QString &reason) { onRefused(count, e, reason); });
    session->onMessage = [this](qint32 type, const QByteArray &data) { deliver(Message{type, data, 0}); };
    session->onCorrelated = [this](qint32 type, const QByteArray &data, const wire::Correlation &tag) {
        onCorrelated(type, data, tag);
    };
    QObject::connect(session, &Session::finished, q,
                     [this](Error e, const QString &reason) { onSessionFinished(e, reason); });
    session->start();
}

void ClientPrivate::onAttemptFailed(Error e, const QString &reason)
{
    attemptTimer.stop();
    connecting->deleteLater();
    connecting = nullptr;
    qCDebug(lcClient).noquote() << "connection attempt failed:" << reason;
    retryOrGiveUp(e, reason);
}

// A new server process has none of what the old one delivered: what it
// never confirmed goes again (at least once) or is given up (at most once).
DeliveryLedger *ClientPrivate::attachLedger(Session *established)
{
    const protocol::PeerDelivery &peer = established->delivery();
    if (peer.acknowledges) {
        const bool restarted = lastServerInstance != 0 && peer.instance != lastServerInstance;
        lastServerInstance = peer.instance;
        if (restarted) {
            // Replies answer the old process's requests: nobody asks for them now.
            if (const int replies = ledger.dropReplies())
                qCInfo(lcClient) << "the server restarted:" << replies << "reply(ies) to its requests not sent";
            restartedServer = true; // requests it had received fail once connected (no user code here)
        }
        if (restarted && config.redelivery == Redelivery::AtMostOnce)
            droppedOnRestart += ledger.dropWindow();
    }
    return &ledger;
}

void ClientPrivate::onEstablished()
{
    encryption = session->encryption();
    server = session->peer();
    attempts = 0;
    error = Error::NoError;
    errorString.clear();
    // The session has re-sent what was unconfirmed and sent the queue, in
    // order, before any slot below can write something newer.
    setStatus(Status::Connected);
    Q_EMIT q->connected();
    if (status == Status::Connected && encryption.isEncrypted())
        Q_EMIT q->encrypted();
    if (status != Status::Connected)
        return;
    const QPointer<Client> alive(q); // continuations and slots below may delete the client
    if (std::exchange(restartedServer, false)
        && (!failAnsweredNever(QStringLiteral("the server restarted before answering"))
            || status != Status::Connected))
        return;
    if (refusedWhileConnecting > 0) {
        const int refused = std::exchange(refusedWhileConnecting, 0);
        fail(refusalError, QStringLiteral("%1; %2 queued message(s) dropped").arg(refusal).arg(refused));
        if (!alive || !reportDropped(refused, refusal, refusalError) || status != Status::Connected)
            return;
    }
    if (droppedOnRestart > 0) {
        const int dropped = std::exchange(droppedOnRestart, 0);
        if (!reportDropped(dropped, QStringLiteral("the server restarted; %1 unconfirmed message(s) not sent again "
                                                   "(Redelivery::AtMostOnce)").arg(dropped))
            || status != Status::Connected)
            return;
    }
    updateWritable();
    checkDisconnectDone();
}

void ClientPrivate::onAcknowledged(int count)
{
    Q_EMIT q->messagesDelivered(count);
    updateWritable();
    checkDisconnectDone();
}

void ClientPrivate::onRefused(int count, Error e, const QString &reason)
{
    if (status != Status::Connected) { // while connecting: reported once connected
        refusedWhileConnecting += count;
        refusalError = e;
        refusal = reason;
        return;
    }
    const QPointer<Client> alive(q);
    fail(e, QStringLiteral("%1; %2 queued message(s) dropped").arg(reason).arg(count));
    if (alive && reportDropped(count, reason, e))
        updateWritable();
}

bool ClientPrivate::failAnsweredNever(const QString &why)
{
    const QPointer<Client> alive(q);
    if (requests)
        requests->failDeliveredTo(0, ledger.requestsOnTheirWay(), Error::ConnectionLost, why);
    return alive;
}

bool ClientPrivate::reportDropped(int count, const QString &why, Error requestError)
{
    const QPointer<Client> alive(q);
    droppedTotal += count;
    qCInfo(lcClient).noquote() << why << "-" << count << "message(s) not delivered, see takeUndeliveredMessages()";
    for (const quint64 id : ledger.requestsGivenUp()) {
        if (requests && (!requests->fail(id, requestError, why) || !alive))
            return false;
    }
    Q_EMIT q->messagesDropped(count);
    return alive;
}

// A graceful end waits for what was written to be confirmed and for the
// replies to open requests (both bounded by disconnectTimeout).
void ClientPrivate::checkDisconnectDone()
{
    if (!disconnecting || ledger.unconfirmedCount() > 0 || openRequests() > 0)
        return;
    disconnecting = false;
    disconnectTimer.stop();
    q->close();
}

void ClientPrivate::onDisconnectTimeout()
{
    if (!disconnecting)
        return;
    disconnecting = false;
    qCWarning(lcClient).noquote() << "disconnectFromServer():" << ledger.unconfirmedCount()
                                  << "message(s) still unconfirmed and" << openRequests()
                                  << "request(s) unanswered after" << config.disconnectTimeout.count()
                                  << "ms; closing";
    q->close();
}

bool ClientPrivate::refuseFull()
{
    setWritable(false);
    const QString reason = status == Status::Connected
        ? QStringLiteral("write refused: the send window and the write queue (%1 messages) are full")
              .arg(config.writeQueueLimit)
        : QStringLiteral("write refused: %1 messages already wait for a connection (writeQueueLimit)")
              .arg(config.writeQueueLimit);
    if (fullReported) { // once per stretch: the caller has been told
        error = Error::WriteQueueFull;
        errorString = reason;
        return false;
    }
    fullReported = true;
    return fail(Error::WriteQueueFull, reason);
}

void ClientPrivate::onSessionFinished(Error e, const QString &reason)
{
    const bool wasConnected = status == Status::Connected;
    session->deleteLater();
    session = nullptr;
    encryption = EncryptionInfo();
    if (!wasConnected) {
        retryOrGiveUp(e, reason);
        return;
    }
    qCInfo(lcClient).noquote() << "disconnected:" << reason;
    // Leave Connected before anyone hears of it, so slots see a client that
    // queues writes instead of one with no connection behind it.
    attempts = 0;
    trying.start();
    const QPointer<Client> alive(q);
    setStatus(Status::Reconnecting);
    if (alive && e != Error::NoError && status == Status::Reconnecting)
        fail(e, reason); // an unexpected loss (dead peer, broken record) is worth a signal
    if (alive && status == Status::Reconnecting)
        Q_EMIT q->disconnected();
    // A goodbye: that server answers nothing more.
    if (alive && e == Error::NoError && status == Status::Reconnecting
        && !failAnsweredNever(QStringLiteral("the server closed the connection before answering")))
        return;
    if (alive && status == Status::Reconnecting && !connecting && !session)
        attempt(); // unless a slot closed or restarted the client
}

void ClientPrivate::retryOrGiveUp(Error e, const QString &reason)
{
    const bool outOfAttempts = config.maxAttempts > 0 && attempts + 1 >= config.maxAttempts;
    if (isFatal(e) || outOfAttempts) {
        giveUp(Status::Error, e, reason);
        return;
    }
    const qint64 elapsed = trying.elapsed();
    const qint64 limit = config.timeout.count();
    if (limit > 0 && elapsed >= limit) {
        const QString why = QStringLiteral("timed out: no connection to %1 within %2 ms (last error: %3)")
                                .arg(address.toString()).arg(limit).arg(reason);
        giveUp(Status::Timeout, Error::Timeout, why);
        return;
    }
    qint64 delay = config.retryTimer.delayFor(attempts++).count();
    if (limit > 0)
        delay = qMin(delay, limit - elapsed);
    retryTimer.start(int(qMax<qint64>(delay, 0)));
}

// The error is in place before the status changes, so a slot reacting to
// the status can read it; unsent messages are reported last.
void ClientPrivate::giveUp(Status finalStatus, Error e, const QString &reason)
{
    disconnecting = false;
    disconnectTimer.stop();
    error = e;
    errorString = reason;
    setStatus(finalStatus);
    fail(e, reason);
    dropAll(reason);
    if (requests)
        requests->failAll(Error::NotConnected, reason);
}

void ClientPrivate::dropAll(const QString &why)
{
    const int count = ledger.dropAll();
    if (count == 0)
        return;
    errorString = QStringLiteral("%1; %2 unconfirmed message(s) dropped").arg(why).arg(count);
    if (reportDropped(count, why))
        updateWritable();
}

void ClientPrivate::deliver(const Message &message)
{
    if (waiters > 0)
        inbox.push_back(message);
    Q_EMIT q->messageReceived(message);
}

void ClientPrivate::onCorrelated(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (tag.kind == wire::Correlation::Request) {
        deliver(Message{type, data, 0, tag.id});
        return;
    }
    Reply reply;
    reply.message = Message{type, data, 0};
    if (tag.kind == wire::Correlation::ErrorReply) {
        reply.error = Error::RemoteError;
        reply.errorCode = tag.code;
        reply.errorString = QString::fromUtf8(data);
    }
    if (!requests || !requests->finish(tag.id, 0, std::move(reply)))
        qCInfo(lcClient) << "a reply to request" << tag.id << "came after the request had ended (timed out?)";
}

void ClientPrivate::discardConnection()
{
    retryTimer.stop();
    attemptTimer.stop();
    // deleteLater: close() may run inside a slot of this very session. From
    // ~Client they go now, as the client's children would a moment later.
    const auto dispose = [this](QObject *object) {
        if (destroying)
            delete object;
        else
            object->deleteLater();
    };
    if (connecting) {
        connecting->disconnect(q);
        connecting->close();
        dispose(std::exchange(connecting, nullptr));
    }
    if (session) {
        session->disconnect(q); // a finished session delivers no more messages
        session->close();
        dispose(std::exchange(session, nullptr));
    }
    encryption = EncryptionInfo();
}

Client::Client(const QString &address, const ClientConfig &config, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ClientPrivate>(this, address, config))
{
    std::tie(d->error, d->errorString) = constructionError(d->address, config);
    if (d->error != Error::NoError) {
        d->misconfigured = true;
        d->status = Status::Error;
        qCWarning(lcClient).noquote() << d->errorString;
        // From the event loop, so that a slot connected after construction hears it.
        QMetaObject::invokeMethod(this, [this] { Q_EMIT errorOccurred(d->error); }, Qt::QueuedConnection);
        return;
    }
    // Start from the event loop so that the caller can connect signals first
    // and see statusChanged(Connecting).
    d->startPending = true;
    QTimer::singleShot(0, this, [this] {
        if (d->startPending)
            d->start(Status::Connecting);
    });
}

Client::~Client()
{
    // Open requests end while the client still exists, so continuations
    // whose context is this client are dropped cleanly with it.
    d->destroying = true;
    if (d->requests) {
        d->requests->ended = nullptr;
        d->requests->failAll(Error::NotConnected, QStringLiteral("the client was destroyed before the reply came"));
    }
    // Never blocks: what the server has not confirmed is named, not awaited.
    if (const int unconfirmed = d->ledger.unconfirmedCount(); unconfirmed > 0)
        qCWarning(lcClient).noquote()
            << "Client for" << d->addressText << "destroyed with" << unconfirmed
            << "unconfirmed message(s); call disconnectFromServer() and waitForDisconnected() first to deliver them";
    d->discardConnection();
    if (d->observer && d->observing)
        d->observer->endpointClosed(d->endpoint);
}

QString Client::address() const
{
    return d->addressText;
}

ClientConfig Client::config() const
{
    return d->config;
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
    return int(d->ledger.queue().size());
}

int Client::unconfirmedMessageCount() const
{
    return d->ledger.unconfirmedCount();
}

qint64 Client::bytesToWrite() const
{
    return (d->session ? d->session->bytesToWrite() : 0) + d->ledger.queuedBytes();
}

bool Client::flush()
{
    return d->session && d->session->flush();
}

bool Client::isWritable() const
{
    return d->writable;
}

QList<Message> Client::takeUndeliveredMessages()
{
    return d->ledger.takeUndelivered(0);
}

// write(), request() and reply(): a message, tagged or not, now or queued.
bool ClientPrivate::send(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (misconfigured)
        return failMisconfigured();
    if (type <= 0)
        return fail(Error::InvalidMessageType,
            QStringLiteral("write refused: message type %1 is reserved (user types are > 0)")
                .arg(type));
    if (Q_UNLIKELY(disconnecting))
        return fail(Error::NotConnected,
            QStringLiteral("write refused: disconnectFromServer() was called"));
    if (status == Status::Connected && session && ledger.queue().empty() && session->hasRoom()) {
        Error e = Error::NoError;
        QString reason;
        if (session->send(type, data, &e, &reason, tag))
            return true;
        if (session && session->isEstablished())
            return fail(e, reason); // this message cannot travel
        // The connection ended while writing: the message waits for the next one.
    }
    if (!isTrying() && status != Status::Connected)
        return fail(Error::NotConnected,
            QStringLiteral("write refused: the client is not connecting (status %1); "
                           "call connectToServer() first")
                .arg(q->statusString()));
    const quint32 limit = server.maxMessageSize;
    if (limit > 0 && quint64(data.size()) > limit)
        return fail(Error::MessageTooLarge,
            QStringLiteral(
                "write refused: %1 bytes exceed the server's maximum message size of %2 bytes")
                .arg(data.size())
                .arg(limit));
    if (ledger.queueIsFull())
        return refuseFull();
    ledger.queue().push_back(DeliveryLedger::Pending { type, data, tag });
    if (status == Status::Connected && session && session->hasRoom())
        session->sendQueued();
    if (!canAccept())
        setWritable(false); // the producer may pause before being refused
    return true;
}

bool Client::write(qint32 type, const QByteArray &data)
{
    if (d->foreignWrites->fromOtherThread()) {
        return d->foreignWrites->post([this, type, data] { write(type, data); }, [this] {
            d->fail(Error::WriteQueueFull,
                    QStringLiteral("write refused: %1 writes from other threads already wait (writeQueueLimit)")
                        .arg(d->foreignWrites->limit()));
        });
    }
    return d->send(type, data, wire::Correlation());
}


QFuture<Reply> Client::request(
    qint32 type, const QByteArray &data, std::chrono::milliseconds timeout)
{
    if (d->foreignWrites->fromOtherThread())
        return RequestTracker::failed(Error::InvalidConfiguration,
                                      QStringLiteral("request refused: call request() from the client's own thread"));
    if (d->misconfigured)
        return RequestTracker::failed(d->error, d->errorString);
    if (d->destroying)
        return RequestTracker::failed(Error::NotConnected, QStringLiteral("request refused: the client is being destroyed"));
    if (d->config.protocol != Protocol::Native || (d->session && d->session->isEstablished()
                                                   && !d->session->delivery().requests))
        return RequestTracker::failed(Error::ProtocolMismatch,
                                      QStringLiteral("request refused: the server's wire cannot carry a reply "
                                                     "(requests need libipc's native protocol in a version with "
                                                     "requests; golang-ipc v2 and the line wire have none)"));
    QFuture<Reply> future;
    const quint64 id = d->tracker()->open(0, timeout, &future);
    if (!d->send(type, data, wire::Correlation{wire::Correlation::Request, 0, id}))
        d->requests->fail(id, d->error, d->errorString);
    return future;
}

Reply Client::call(qint32 type, const QByteArray &data, std::chrono::milliseconds timeout)
{
    QFuture<Reply> future = request(type, data, timeout);
    if (!future.isFinished()) {
        QFutureWatcher<Reply> watcher;
        QEventLoop loop;
        connect(&watcher, &QFutureWatcher<Reply>::finished, &loop, &QEventLoop::quit);
        watcher.setFuture(future);
        if (!future.isFinished())
            loop.exec(); // not a wait that keeps messages for waitForMessage()
    }
    return future.result();
}

// reply() and replyError(): a tagged message back to the server, from any thread.
bool ClientPrivate::answer(const Message &request, qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (foreignWrites->fromOtherThread())
        return foreignWrites->post([this, request, type, data, tag] { answer(request, type, data, tag); }, [this] {
            fail(Error::WriteQueueFull, QStringLiteral("reply refused: too many writes from other threads wait"));
        });
    if (!request.isRequest())
        return fail(Error::InvalidMessageType,
                    QStringLiteral("reply refused: the message of type %1 is not a request").arg(request.type));
    return send(type, data, tag);
}

bool Client::reply(const Message &request, qint32 type, const QByteArray &data)
{
    return d->answer(request, type, data, wire::Correlation{wire::Correlation::Reply, 0, request.requestId});
}

// An error reply repeats the request's type; its data is the text.
bool Client::replyError(const Message &request, qint32 code, const QString &text)
{
    return d->answer(request, qMax(request.type, 1), text.toUtf8(),
                     wire::Correlation{wire::Correlation::ErrorReply, code, request.requestId});
}

bool Client::ping()
{
    if (d->status != Status::Connected || !d->session)
        return d->fail(Error::NotConnected, QStringLiteral("ping refused: not connected"));
    const quint64 token = ++d->lastPing;
    if (!d->session->ping(token))
        return d->fail(Error::ProtocolMismatch, QStringLiteral("ping refused: the server's wire has no ping"));
    if (d->pings.size() >= 64) // answers that never came: forget the oldest
        d->pings.erase(d->pings.begin());
    d->pings[token].start();
    return true;
}

void Client::connectToServer()
{
    if (d->misconfigured) {
        d->failMisconfigured();
        return;
    }
    if (d->connecting || d->session || d->retryTimer.isActive())
        return;
    d->start(Status::Connecting);
}

void Client::close()
{
    d->startPending = false;
    if (d->status == Status::Closed || d->misconfigured)
        return;
    d->disconnecting = false;
    d->disconnectTimer.stop();
    const bool wasConnected = d->status == Status::Connected;
    d->setStatus(Status::Closing);
    d->discardConnection();
    if (wasConnected)
        Q_EMIT disconnected();
    d->dropAll(QStringLiteral("closed"));
    if (d->requests)
        d->requests->failAll(Error::NotConnected, QStringLiteral("the client was closed before the reply came"));
    d->setStatus(Status::Closed);
}

void Client::disconnectFromServer()
{
    if (d->foreignWrites->fromOtherThread()) {
        QMetaObject::invokeMethod(this, &Client::disconnectFromServer, Qt::QueuedConnection);
        return;
    }
    if (d->misconfigured || d->disconnecting || (!d->isTrying() && d->status != Status::Connected))
        return;
    d->disconnecting = true;
    if (d->config.disconnectTimeout.count() > 0)
        d->disconnectTimer.start(d->config.disconnectTimeout);
    d->checkDisconnectDone();
}

bool Client::waitForConnected(std::chrono::milliseconds timeout)
{
    ++d->waiters;
    const bool ok = waitUntil(timeout, [this] { return d->status == Status::Connected || !d->isTrying(); },
                              this, &Client::statusChanged);
    --d->waiters;
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
    ++d->waiters;
    timer.start(timeout);
    while (bytesToWrite() > 0 && timer.isActive()) {
        if (d->session != watched) {
            disconnect(written);
            watched = d->session;
            if (watched)
                written = connect(watched, &Session::bytesWritten, &loop, &QEventLoop::quit);
        }
        loop.exec();
    }
    --d->waiters;
    disconnect(written);
    return bytesToWrite() == 0;
}

bool Client::waitForDelivered(std::chrono::milliseconds timeout)
{
    const int droppedBefore = d->droppedTotal;
    ++d->waiters;
    waitUntil(timeout, [this] { return d->ledger.unconfirmedCount() == 0; }, this, &Client::messagesDelivered,
              &Client::statusChanged, &Client::messagesDropped);
    --d->waiters;
    return d->ledger.unconfirmedCount() == 0 && d->droppedTotal == droppedBefore;
}

bool Client::waitForDisconnected(std::chrono::milliseconds timeout)
{
    ++d->waiters;
    const bool done = waitUntil(timeout, [this] {
        return !d->disconnecting && !d->isTrying() && d->status != Status::Connected;
    }, this, &Client::statusChanged);
    --d->waiters;
    return done;
}

Message Client::waitForMessage(std::chrono::milliseconds timeout)
{
    ++d->waiters;
    const auto stopped = [this] {
        return d->status == Status::Closed || d->status == Status::Error || d->status == Status::Timeout;
    };
    waitUntil(timeout, [&] { return !d->inbox.empty() || stopped(); }, this,
              &Client::messageReceived, &Client::statusChanged);
    --d->waiters;
    if (!d->inbox.empty()) {
        Message message = d->inbox.front();
        d->inbox.pop_front();
        return message;
    }
    if (stopped())
        return Message{Message::ClosedNotice, d->errorString.toUtf8(), 0};
    return Message{Message::StatusNotice, QByteArrayLiteral("timed out waiting for a message"), 0};
}

} // namespace ipc
