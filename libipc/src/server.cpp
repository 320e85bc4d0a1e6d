#include "server_p.h"

#include "config_check.h"
#include "logging.h"
#include "requests.h"
#include "session_observer.h"
#include "transport/listener.h"
#include "transport/process_liveness.h"
#include "transport/stream.h"

#include <QPointer>
#include <QRandomGenerator>

#include <algorithm>
#include <climits>

#include <unistd.h>

namespace ipc {

ServerPrivate::ServerPrivate(Server *q, const QString &addressText, const ServerConfig &config)
    : EndpointState(config.monitoring)
    , q(q)
    , addressText(addressText)
    , address(Address::parse(addressText))
    , config(config)
    , foreignWrites(new CrossThreadWrites(q, ForeignWriteLimit))
    , requests(new RequestTracker(q))
    , instance(QRandomGenerator::system()->generate64() | 1)
{
    resumeTimer.setParent(q); // moveToThread() takes it along
    resumeTimer.setSingleShot(true);
    QObject::connect(&resumeTimer, &QTimer::timeout, q, [this] { onResumeDeadline(); });
    requests->ended = [this](quint64 id, quint64 clientId, bool timedOut) {
        const auto it = connections.find(clientId);
        if (timedOut && it != connections.end())
            it->second.link->withdrawQueuedRequest(id);
    };
    requests->timed = [this](quint64 peer, qint32 type, quint64 label, telemetry::RequestOutcome outcome,
                             qint64 nanoseconds) {
        observer->requestEnded(endpoint, peer, type, label, outcome, nanoseconds);
    };
}

// The state is the status without the ways of not listening.
Server::State ServerPrivate::stateOf(Status s)
{
    switch (s) {
    case Status::Listening:
        return Server::State::Listening;
    case Status::Closing:
        return Server::State::Closing;
    default:
        return Server::State::NotListening;
    }
}

bool ServerPrivate::setStatus(Status s)
{
    return changeStatus(q, s, &stateOf);
}

bool ServerPrivate::fail(Error e, const QString &reason)
{
    setError(e, reason);
    qCInfo(lcServer).noquote() << reason;
    Q_EMIT q->errorOccurred(e);
    return false;
}

bool ServerPrivate::failClient(quint64 id, Error e, const QString &reason)
{
    qCInfo(lcServer).noquote() << "client" << id << "error:" << reason;
    Q_EMIT q->clientErrorOccurred(id, e, reason);
    return false;
}

bool ServerPrivate::report(quint64 id, const Result &result)
{
    if (Q_LIKELY(result.ok()))
        return true;
    if (result.alreadyReported)
        return false;
    return failClient(id, result.error, result.reason);
}

bool ServerPrivate::failListen(Error e, const QString &reason)
{
    setError(e, reason);
    if (setStatus(Status::Error)) // unless a slot deleted the server
        fail(e, reason);
    return false;
}

Link *ServerPrivate::established(quint64 id) const
{
    const auto it = connections.find(id);
    return it != connections.end() && it->second.link->isEstablished() ? it->second.link.get()
                                                                       : nullptr;
}

Link::Handlers ServerPrivate::handlers(quint64 id)
{
    Link::Handlers h;
    h.messageReceived = [this](const Message &message) {
        inbox.offer(message);
        Q_EMIT q->messageReceived(message);
    };
    h.objectMessage = [this](const Message &message) { objectLayer().onMessage(message); };
    h.established = [this, id] { onEstablished(id); };
    h.finished = [this, id](Error e, const QString &reason) { onFinished(id, e, reason); };
    h.delivered = [this, id](int count) {
        const QPointer<Server> alive(q);
        if (count > 0) // 0: remote-object traffic only, which the application did not write
            Q_EMIT q->clientMessagesDelivered(id, count);
        if (!alive)
            return;
        if (Link *link = established(id))
            link->updateWritable();
    };
    h.refused = [this, id](
                    int count, Error e, const QString &reason) { onRefused(id, count, e, reason); };
    h.writableChanged = [this, id](bool writable) {
        const QPointer<Server> alive(q);
        Q_EMIT q->clientWritableChanged(id, writable);
        if (alive && writable && objects)
            objects->sources().peerWritable(id); // what its replicas missed meanwhile
    };
    return h;
}

void ServerPrivate::accept(Stream *stream)
{
    const quint64 id = nextConnectionId();
    Link::Settings settings;
    settings.role = protocol::Role::Server;
    settings.id = id;
    settings.instance = instance;
    settings.observer = observer;
    settings.endpoint = endpoint;
    Session::Options options = Link::sessionOptions(config, config.encryption, settings);
    options.adapter.rejectAsFull
        = config.maxClients > 0 && int(connections.size()) >= config.maxClients;
    const PeerCredentials credentials = stream->peerCredentials();
    if (config.sameUserOnly && (!credentials.isKnown() || credentials.uid != qint64(::getuid()))) {
        options.adapter.rejectAsDenied = true; // told in the preamble, then closed
        ++refusedPeers;
        qCInfo(lcServer).noquote() << "refused a connection from uid" << credentials.uid << "pid"
                                   << credentials.pid << ": sameUserOnly";
    }
    options.attachLedger
        = [this, id](Session *established) { return attachLedger(id, established); };
    Connection &connection = connections[id];
    connection.link = std::make_unique<Link>(q, id, handlers(id));
    connection.link->setRequests(requests);
    connection.info.id = id;
    connection.info.credentials = credentials;
    connection.link->open(stream, options);
}

// A client that resumes gets back its ledger, wherever its last connection
// is; any other gets a fresh one.
DeliveryLedger *ServerPrivate::attachLedger(quint64 id, Session *session)
{
    Connection &connection = connections.at(id);
    const protocol::PeerDelivery &peer = session->delivery();
    if (!peer.acknowledges || peer.instance == 0) {
        connection.link->ownLedger(std::make_unique<DeliveryLedger>(ledgerLimits(config)));
        return connection.link->ledger();
    }
    auto it = resumable.find(peer.instance);
    if (it == resumable.end()) {
        it = resumable.emplace(peer.instance, Resumable {}).first;
        it->second.ledger = std::make_unique<DeliveryLedger>(ledgerLimits(config));
    } else {
        Resumable &entry = it->second;
        stopWaiting(entry);
        entry.exitWatch.reset();
        // The old connection may not have noticed it broke: it ends here.
        if (entry.clientId != id) {
            entry.formerIds.push_back(entry.clientId);
            if (entry.formerIds.size() > 16) // replies are for recent connections; bounded
                entry.formerIds.erase(entry.formerIds.begin());
            requests->reassign(entry.clientId, id);
            if (objects)
                objects->peerRenamed(entry.clientId, id);
        }
        const auto old = connections.find(entry.clientId);
        if (old != connections.end() && old->first != id) {
            old->second.link->useLedger(nullptr);
            old->second.stream = 0;
            qCInfo(lcServer) << "client" << entry.clientId << "resumed as client" << id;
            if (Session *stale = old->second.link->session())
                stale->close();
        }
    }
    it->second.clientId = id;
    connection.stream = peer.instance;
    connection.link->useLedger(it->second.ledger.get());
    return connection.link->ledger();
}

void ServerPrivate::onEstablished(quint64 id)
{
    Connection &connection = connections.at(id);
    connection.info.peer = connection.link->session()->peer();
    connection.info.encryption = connection.link->session()->encryption();
    connection.info.connectedAt = QDateTime::currentDateTimeUtc();
    connectedCount.fetch_add(1, std::memory_order_relaxed);
    qCInfo(lcServer) << "client" << id << "connected, pid" << connection.info.peer.pid;
    const bool encrypted = connection.info.encryption.isEncrypted();
    const QPointer<Server> alive(q);
    Q_EMIT q->clientConnected(id); // a slot may drop the client: `connection` may dangle now
    if (alive && encrypted && connections.count(id))
        Q_EMIT q->clientEncrypted(id);
    if (alive && objects && connections.count(id))
        objects->replicas().peerConnected(id, false); // resumed: its objects' replicas are Valid again
}

// Queued messages this client cannot take: reported and handed back alone;
// the connection goes on with the rest.
void ServerPrivate::onRefused(quint64 id, int count, Error e, const QString &reason)
{
    const QPointer<Server> alive(q);
    failClient(id, e, QStringLiteral("%1; %2 message(s) dropped").arg(reason).arg(count));
    const auto it = connections.find(id);
    if (!alive || it == connections.end() || !it->second.link->ledger()
        || !it->second.link->failRequestsGivenUp(e, reason))
        return;
    const auto still = connections.find(id);
    if (still != connections.end() && still->second.link->ledger())
        handBack(id, *still->second.link->ledger());
}

void ServerPrivate::onFinished(quint64 id, Error e, const QString &reason)
{
    const auto it = connections.find(id);
    if (it == connections.end())
        return;
    const bool wasConnected = !it->second.info.connectedAt.isNull();
    const quint64 stream = it->second.stream;
    const qint64 peerPid = it->second.info.credentials.pid;
    // The link goes with the connection; a ledger it owned is given up below.
    std::unique_ptr<Link> link = std::move(it->second.link);
    connections.erase(it);
    if (wasConnected)
        connectedCount.fetch_sub(1, std::memory_order_relaxed);
    if (e != Error::NoError)
        failClient(id, e, reason);
    const QPointer<Server> alive(q);
    if (wasConnected)
        Q_EMIT q->clientDisconnected(id);
    if (!alive)
        return;
    if (objects)
        objects->replicas().peerDisconnected(id);
    // A broken connection may resume; one ended on purpose will not, nor
    // one whose process the kernel says is gone.
    if (stream != 0 && resumable.count(stream)) {
        if (e == Error::NoError || status == Status::Closing || transport::processIsGone(peerPid))
            giveUpResumable(stream);
        else
            waitForResume(stream, peerPid);
    } else { // continuations may delete the server
        if (status != Status::Closing) // close() ends them all, as its own cause
            requests->failPeer(id, Error::ConnectionLost,
                QStringLiteral("client %1 went away before answering").arg(id));
        if (alive && objects)
            objects->peerGone(id);
        if (alive && link->ownsLedger())
            giveUp(id, *link->ledger());
    }
}

// The connection broke: the client may come back within resumeTimeout,
// unless the kernel says its process has ended.
void ServerPrivate::waitForResume(quint64 stream, qint64 peerPid)
{
    Resumable &entry = resumable.at(stream);
    entry.exitWatch = transport::watchProcessExit(peerPid, [this, stream, peerPid] {
        qCInfo(lcServer) << "the process" << peerPid << "of a client that may resume has ended";
        giveUpResumable(stream);
    });
    stopWaiting(entry);
    entry.waitOrder = nextWaitOrder++;
    entry.resumeDeadline = QDeadlineTimer(config.resumeTimeout);
    waitingToResume.emplace(entry.waitOrder, stream);
    if (waitingToResume.size() > MaxWaitingToResume) // too many gone: the longest waiting goes
        giveUpResumable(waitingToResume.begin()->second);
    else if (waitingToResume.size() == 1)
        armResumeTimer();
}

void ServerPrivate::stopWaiting(Resumable &entry)
{
    if (entry.waitOrder == 0)
        return;
    const bool wasFirst
        = !waitingToResume.empty() && waitingToResume.begin()->first == entry.waitOrder;
    waitingToResume.erase(entry.waitOrder);
    entry.waitOrder = 0;
    if (wasFirst)
        armResumeTimer();
}

// Restarting a QTimer costs a walk of the thread's timers: only when the
// first to expire changed.
void ServerPrivate::armResumeTimer()
{
    if (waitingToResume.empty()) {
        resumeTimer.stop();
        return;
    }
    const Resumable &first = resumable.at(waitingToResume.begin()->second);
    if (first.resumeDeadline.isForever()) { // a resumeTimeout too long to count: never given up
        resumeTimer.stop();
        return;
    }
    resumeTimer.start(
        std::chrono::milliseconds(qMax<qint64>(0, first.resumeDeadline.remainingTime())));
}

void ServerPrivate::onResumeDeadline()
{
    const QPointer<Server> alive(q); // continuations may delete the server
    while (alive && !waitingToResume.empty()) {
        const quint64 stream = waitingToResume.begin()->second;
        if (!resumable.at(stream).resumeDeadline.hasExpired())
            break;
        giveUpResumable(stream);
    }
    if (alive && !resumeTimer.isActive())
        armResumeTimer();
}

void ServerPrivate::giveUpResumable(quint64 stream)
{
    const auto it = resumable.find(stream);
    if (it == resumable.end())
        return;
    stopWaiting(it->second);
    Resumable entry = std::move(it->second);
    resumable.erase(it);
    const QPointer<Server> alive(q); // continuations may delete the server
    if (status != Status::Closing)
        requests->failPeer(entry.clientId, Error::ConnectionLost,
            QStringLiteral("client %1 went away before answering").arg(entry.clientId));
    if (alive && objects)
        objects->peerGone(entry.clientId);
    if (alive)
        giveUp(entry.clientId, *entry.ledger);
}

ServerPrivate::Resumable *ServerPrivate::resumableOf(quint64 id)
{
    for (auto &entry : resumable) {
        const std::vector<quint64> &former = entry.second.formerIds;
        if (entry.second.clientId == id
            || std::find(former.begin(), former.end(), id) != former.end())
            return &entry.second;
    }
    return nullptr;
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
    if (ledger.undeliveredCount() == 0)
        return;
    const QList<Message> handed = ledger.takeUndelivered(clientId); // without remote-object traffic
    for (const Message &message : handed)
        undelivered.push_back(message);
    if (!handed.isEmpty())
        Q_EMIT q->clientMessagesDropped(clientId, int(handed.size()));
}

int ServerPrivate::unconfirmedTotal() const
{
    int total = 0;
    for (const auto &entry : connections)
        total += entry.second.link->ownsLedger() ? entry.second.link->ledger()->applicationUnconfirmedCount()
                                                 : 0;
    for (const auto &entry : resumable)
        total += entry.second.ledger->applicationUnconfirmedCount();
    return total;
}

void ServerPrivate::closeAll(bool notify)
{
    if (notify) {
        std::vector<quint64> ids;
        for (const auto &entry : connections)
            ids.push_back(entry.first);
        const QPointer<Server> alive(q); // a slot may delete the server
        for (const quint64 id : ids) {
            if (!alive)
                return;
            const auto it = connections.find(id); // an earlier close may have ended it
            if (it != connections.end() && it->second.link->session())
                it->second.link->session()->close();
        }
        // Clients that were waiting to resume will not find this server again.
        while (alive && !resumable.empty())
            giveUpResumable(resumable.begin()->first);
        if (!alive)
            return;
    } else {
        connections.clear(); // each link closes its session without a word
        resumable.clear();
        waitingToResume.clear();
        resumeTimer.stop();
    }
    if (listener)
        listener->close();
    // A slot of accept() (a line client is connected at once) may get here
    // while the listener is handing out that connection: let it return first.
    if (accepting > 0 && listener)
        listener.release()->deleteLater();
    listener.reset();
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
    QMetaObject::invokeMethod(
        this, [this] { Q_EMIT errorOccurred(d->error); }, Qt::QueuedConnection);
}

Server::~Server()
{
    // Open requests end canceled before anything is torn down: no
    // continuation runs inside this destructor.
    d->destroying = true;
    d->requests->cancelAll(
        Error::NotConnected, QStringLiteral("the server was destroyed before the reply came"));
    d->objects.reset(); // its replicas become SourceGone
    // Never blocks: what clients have not confirmed is named, not awaited.
    if (const int unconfirmed = d->unconfirmedTotal(); unconfirmed > 0)
        qCWarning(lcServer).noquote() << "Server at" << d->addressText << "destroyed with"
                                      << unconfirmed << "unconfirmed message(s) to its clients";
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
    connect(listener.get(), &Listener::trouble, this,
        [this](Error e, const QString &reason) { d->fail(e, reason); });
    d->listener = std::move(listener);
    d->startObserving(protocol::Role::Server, d->listener->listeningAddress(), d->config.protocol,
        d->config.reportPayloads);
    d->error = Error::NoError;
    d->errorString.clear();
    qCInfo(lcServer).noquote() << "listening on" << d->listener->listeningAddress();
    d->setStatus(Status::Listening);
    return true;
}

void Server::close()
{
    if (!isListening() && d->connections.empty())
        return;
    // Slots and continuations below may delete the server: each step checks.
    const QPointer<Server> alive(this);
    if (!d->setStatus(Status::Closing))
        return;
    d->closeAll(true);
    if (alive)
        d->requests->failAll(
            Error::NotConnected, QStringLiteral("the server was closed before the reply came"));
    if (alive && d->setStatus(Status::Closed))
        d->stopObserving();
}

void Server::disconnectClient(quint64 clientId)
{
    const auto it = d->connections.find(clientId);
    if (it != d->connections.end() && it->second.link->session())
        it->second.link->session()->close();
}

} // namespace ipc
