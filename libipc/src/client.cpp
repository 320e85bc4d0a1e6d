#include "client_p.h"

#include "config_check.h"
#include "logging.h"
#include "requests.h"
#include "session_observer.h"
#include "transport/stream.h"

#include <QPointer>

#include <climits>

namespace ipc {

namespace {

// Errors that another attempt cannot fix: the two sides disagree.
bool isFatal(Error error)
{
    return error == Error::EncryptionRequired || error == Error::PreSharedKeyMismatch
        || error == Error::ProtocolMismatch || error == Error::HandshakeFailed
        || error == Error::PermissionDenied;
}

} // namespace

ClientPrivate::ClientPrivate(Client *q, const QString &addressText, const ClientConfig &config)
    : EndpointState(config.monitoring)
    , q(q)
    , addressText(addressText)
    , address(Address::parse(addressText))
    , config(config)
    , link(q, 0, handlers())
    , foreignWrites(new CrossThreadWrites(q, config.writeQueueLimit))
{
    link.ownLedger(std::make_unique<DeliveryLedger>(ledgerLimits(config)));
    // Children of the client, so that moveToThread() takes them along.
    for (QTimer *timer : {&retryTimer, &attemptTimer, &disconnectTimer}) {
        timer->setParent(q);
        timer->setSingleShot(true);
    }
    QObject::connect(&retryTimer, &QTimer::timeout, q, [this] { attempt(); });
    QObject::connect(&attemptTimer, &QTimer::timeout, q, [this] { onAttemptTimedOut(); });
    QObject::connect(&disconnectTimer, &QTimer::timeout, q, [this] { onDisconnectTimeout(); });
}

Link::Handlers ClientPrivate::handlers()
{
    Link::Handlers h;
    h.messageReceived = [this](const Message &message) {
        inbox.offer(message);
        Q_EMIT q->messageReceived(message);
    };
    h.objectMessage = [this](const Message &message) { objectLayer().onMessage(message); };
    h.established = [this] { onEstablished(); };
    h.finished = [this](Error e, const QString &reason) { onSessionFinished(e, reason); };
    h.delivered = [this](int count) { onDelivered(count); };
    h.refused = [this](int count, Error e, const QString &reason) { onRefused(count, e, reason); };
    h.writableChanged = [this](bool writable) {
        const QPointer<Client> alive(q);
        Q_EMIT q->writableChanged(writable);
        if (alive && writable && objects)
            objects->sources().peerWritable(0); // what its replicas missed meanwhile
    };
    h.pong = [this](quint64 token) {
        const auto it = pings.find(token);
        if (it == pings.end())
            return;
        const quint64 elapsed = quint64(it->second.nsecsElapsed() / 1000);
        pings.erase(it);
        Q_EMIT q->pong(elapsed);
    };
    return h;
}

// The state is the status without the ways of being unconnected: one value
// held, two views of it.
Client::State ClientPrivate::stateOf(Status s)
{
    switch (s) {
    case Status::Connecting: return Client::State::Connecting;
    case Status::Connected: return Client::State::Connected;
    case Status::Reconnecting: return Client::State::Reconnecting;
    case Status::Closing: return Client::State::Closing;
    default: return Client::State::Unconnected;
    }
}

bool ClientPrivate::setStatus(Status s)
{
    return changeStatus(q, s, &stateOf);
}

bool ClientPrivate::fail(Error e, const QString &reason)
{
    setError(e, reason);
    qCInfo(lcClient).noquote() << reason;
    Q_EMIT q->errorOccurred(e);
    return false;
}

bool ClientPrivate::failMisconfigured()
{
    qCInfo(lcClient).noquote() << errorString;
    Q_EMIT q->errorOccurred(error);
    return false;
}

void ClientPrivate::start(Status tryingStatus)
{
    startPending = false;
    startObserving(protocol::Role::Client, address.toString(), config.protocol, config.reportPayloads);
    attempts = 0;
    trying.start();
    if (setStatus(tryingStatus))
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
    Stream *stream = std::exchange(connecting, nullptr);
    stream->disconnect(q);
    Link::Settings settings;
    settings.role = protocol::Role::Client;
    settings.id = nextConnectionId();
    settings.instance = ledger().stream();
    settings.observer = observer;
    settings.endpoint = endpoint;
    Session::Options options = Link::sessionOptions(config, config.encryptionRequired, settings);
    options.attachLedger = [this](Session *established) { return attachLedger(established); };
    link.open(stream, options);
}

void ClientPrivate::onAttemptFailed(Error e, const QString &reason)
{
    attemptTimer.stop();
    std::exchange(connecting, nullptr)->deleteLater();
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
            if (const int replies = ledger().dropReplies())
                qCInfo(lcClient) << "the server restarted:" << replies << "reply(ies) to its requests not sent";
            restartedServer = true;
        }
        if (restarted && config.redelivery == Redelivery::AtMostOnce)
            droppedOnRestart += ledger().dropWindow();
    }
    return &ledger();
}

void ClientPrivate::onEstablished()
{
    encryption = session()->encryption();
    server = session()->peer();
    attempts = 0;
    error = Error::NoError;
    errorString.clear();
    // The session has re-sent what was unconfirmed and sent the queue, in
    // order, before any slot below can write something newer.
    const QPointer<Client> alive(q); // slots and continuations below may delete the client
    if (!setStatus(Status::Connected))
        return;
    Q_EMIT q->connected();
    if (alive && status == Status::Connected && encryption.isEncrypted())
        Q_EMIT q->encrypted();
    if (!alive || status != Status::Connected)
        return;
    const bool restarted = std::exchange(restartedServer, false);
    if (restarted
        && (!failAnsweredNever(QStringLiteral("the server restarted before answering"))
            || status != Status::Connected))
        return;
    if (objects) {
        objects->replicas().peerConnected(0, restarted); // a restarted server's objects are acquired again
        if (!alive || status != Status::Connected)
            return;
    }
    if (refusedWhileConnecting > 0) {
        const int refused = std::exchange(refusedWhileConnecting, 0);
        fail(refusal.error, QStringLiteral("%1; %2 queued message(s) dropped").arg(refusal.reason).arg(refused));
        if (!alive || !reportDropped(refused, refusal.reason, refusal.error) || status != Status::Connected)
            return;
    }
    if (droppedOnRestart > 0) {
        const int dropped = std::exchange(droppedOnRestart, 0);
        if (!reportDropped(dropped, QStringLiteral("the server restarted; %1 unconfirmed message(s) not sent again "
                                                   "(Redelivery::AtMostOnce)").arg(dropped))
            || status != Status::Connected)
            return;
    }
    link.updateWritable();
    checkDisconnectDone();
}

void ClientPrivate::onDelivered(int count)
{
    const QPointer<Client> alive(q);
    if (count > 0) // 0: remote-object traffic only, which the application did not write
        Q_EMIT q->messagesDelivered(count);
    if (alive)
        link.updateWritable();
    if (alive)
        checkDisconnectDone();
}

void ClientPrivate::onRefused(int count, Error e, const QString &reason)
{
    if (status != Status::Connected) { // while connecting: reported once connected
        refusedWhileConnecting += count;
        refusal = Result::failure(e, reason);
        return;
    }
    const QPointer<Client> alive(q);
    fail(e, QStringLiteral("%1; %2 queued message(s) dropped").arg(reason).arg(count));
    if (alive && reportDropped(count, reason, e))
        link.updateWritable();
}

bool ClientPrivate::failAnsweredNever(const QString &why)
{
    const QPointer<Client> alive(q);
    if (requests)
        requests->failDeliveredTo(0, ledger().requestsOnTheirWay(), Error::ConnectionLost, why);
    return alive;
}

bool ClientPrivate::reportDropped(int count, const QString &why, Error requestError)
{
    droppedTotal += count;
    if (count > 0)
        qCInfo(lcClient).noquote() << why << "-" << count << "message(s) not delivered, see takeUndeliveredMessages()";
    if (!link.failRequestsGivenUp(requestError, why))
        return false;
    const QPointer<Client> alive(q);
    if (count > 0) // remote-object traffic alone is told by its replicas
        Q_EMIT q->messagesDropped(count);
    return alive;
}

// A graceful end waits for what was written to be confirmed and for the
// replies to open requests (both bounded by disconnectTimeout).
void ClientPrivate::checkDisconnectDone()
{
    if (!disconnecting || ledger().unconfirmedCount() > 0 || openRequests() > 0)
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
    qCWarning(lcClient).noquote() << "disconnectFromServer():" << ledger().unconfirmedCount()
                                  << "message(s) still unconfirmed and" << openRequests()
                                  << "request(s) unanswered after" << config.disconnectTimeout.count()
                                  << "ms; closing";
    q->close();
}

void ClientPrivate::onSessionFinished(Error e, const QString &reason)
{
    const bool wasConnected = status == Status::Connected;
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
    if (alive && objects)
        objects->replicas().peerDisconnected(0); // Suspect until it resumes or acquires again
    if (alive && e != Error::NoError && status == Status::Reconnecting)
        fail(e, reason); // an unexpected loss (dead peer, broken record) is worth a signal
    if (alive && status == Status::Reconnecting)
        Q_EMIT q->disconnected();
    // A goodbye: that server answers nothing more.
    if (alive && e == Error::NoError && status == Status::Reconnecting
        && !failAnsweredNever(QStringLiteral("the server closed the connection before answering")))
        return;
    if (alive && status == Status::Reconnecting && !connecting && !session())
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
    const QPointer<Client> alive(q);
    if (!setStatus(finalStatus))
        return;
    fail(e, reason);
    if (!alive)
        return;
    dropAll(reason);
    if (alive && requests)
        requests->failAll(Error::NotConnected, reason);
}

void ClientPrivate::dropAll(const QString &why)
{
    const int before = ledger().undeliveredCount();
    const int count = ledger().dropAll();
    if (ledger().undeliveredCount() == before)
        return; // nothing was unconfirmed
    if (count > 0)
        errorString = QStringLiteral("%1; %2 unconfirmed message(s) dropped").arg(why).arg(count);
    if (reportDropped(count, why))
        link.updateWritable();
}

void ClientPrivate::discardConnection()
{
    retryTimer.stop();
    attemptTimer.stop();
    // Later: close() may run inside a slot of this very session. From
    // ~Client they go now, as the client's children would a moment later.
    if (connecting) {
        connecting->disconnect(q);
        connecting->close();
        if (destroying)
            delete std::exchange(connecting, nullptr);
        else
            std::exchange(connecting, nullptr)->deleteLater();
    }
    link.discard(destroying);
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
    // Open requests end canceled before anything is torn down: no
    // continuation runs inside this destructor.
    d->destroying = true;
    if (d->requests)
        d->requests->cancelAll(Error::NotConnected, QStringLiteral("the client was destroyed before the reply came"));
    d->objects.reset(); // its replicas become SourceGone
    // Never blocks: what the server has not confirmed is named, not awaited.
    if (const int unconfirmed = d->ledger().applicationUnconfirmedCount(); unconfirmed > 0)
        qCWarning(lcClient).noquote()
            << "Client for" << d->addressText << "destroyed with" << unconfirmed
            << "unconfirmed message(s); call disconnectFromServer() and waitForDisconnected() first to deliver them";
    d->discardConnection();
    d->stopObserving();
}

void Client::connectToServer()
{
    if (d->misconfigured) {
        d->failMisconfigured();
        return;
    }
    if (d->connecting || d->session() || d->retryTimer.isActive())
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
    // Slots and continuations below may delete the client: each step checks.
    const QPointer<Client> alive(this);
    if (!d->setStatus(Status::Closing))
        return;
    d->discardConnection();
    if (wasConnected)
        Q_EMIT disconnected();
    if (alive)
        d->dropAll(QStringLiteral("closed"));
    if (alive && d->requests)
        d->requests->failAll(Error::NotConnected, QStringLiteral("the client was closed before the reply came"));
    if (alive)
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

} // namespace ipc
