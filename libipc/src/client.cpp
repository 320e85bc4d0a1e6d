#include <ipc/client.h>

#include "address.h"
#include "config_check.h"
#include "cross_thread.h"
#include "logging.h"
#include "session.h"
#include "session_observer.h"
#include "transport/stream.h"
#include "wait.h"

#include <QElapsedTimer>
#include <QTimer>

#include <deque>

namespace ipc {

namespace {

// Errors that another attempt cannot fix: the two sides disagree.
bool isFatal(Error error)
{
    return error == Error::EncryptionRequired || error == Error::PreSharedKeyMismatch
        || error == Error::ProtocolMismatch || error == Error::HandshakeFailed
        || error == Error::PermissionDenied;
}

struct QueuedMessage
{
    qint32 type;
    QByteArray data;
};

} // namespace

class ClientPrivate
{
public:
    ClientPrivate(Client *q, const QString &addressText, const ClientConfig &config)
        : q(q)
        , addressText(addressText)
        , address(Address::parse(addressText))
        , config(config)
        , foreignWrites(new CrossThreadWrites(q, config.writeQueueLimit))
    {
        retryTimer.setParent(q); // moveToThread() takes it along
        retryTimer.setSingleShot(true);
        QObject::connect(&retryTimer, &QTimer::timeout, q, [this] { attempt(); });
    }

    void setStatus(Status s)
    {
        if (status == s)
            return;
        status = s;
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
    void onEstablished();
    void onSessionFinished(Error e, const QString &reason);
    void retryOrGiveUp(Error e, const QString &reason);
    void giveUp(Status finalStatus, Error e, const QString &reason);
    void dropQueue(const QString &why);
    void deliver(const Message &message);
    void discardConnection();

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
    QElapsedTimer trying;         // since connecting or reconnecting began
    int attempts = 0;
    std::deque<QueuedMessage> queue;
    CrossThreadWrites *foreignWrites; // writes from other threads on their way here
    std::deque<Message> inbox;    // messages that arrived during a blocking wait
    int waiters = 0;
    EncryptionInfo encryption;
    PeerInfo server;
};

void ClientPrivate::start(Status tryingStatus)
{
    startPending = false;
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
    connecting->connectToPeer(address);
}

void ClientPrivate::onStreamConnected()
{
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
    options.observer = defaultSessionObserver();
    options.id = nextConnectionId();
    session = new Session(stream, options, q);
    QObject::connect(session, &Session::established, q, [this] { onEstablished(); });
    session->onMessage = [this](qint32 type, const QByteArray &data) { deliver(Message{type, data, 0}); };
    QObject::connect(session, &Session::finished, q,
                     [this](Error e, const QString &reason) { onSessionFinished(e, reason); });
    session->start();
}

void ClientPrivate::onAttemptFailed(Error e, const QString &reason)
{
    connecting->deleteLater();
    connecting = nullptr;
    qCDebug(lcClient).noquote() << "connection attempt failed:" << reason;
    retryOrGiveUp(e, reason);
}

void ClientPrivate::onEstablished()
{
    encryption = session->encryption();
    server = session->peer();
    attempts = 0;
    error = Error::NoError;
    errorString.clear();
    // What was written while not connected goes first, in order, before any
    // slot below can write something newer.
    int refused = 0;
    QString refusal;
    Error refusalError = Error::NoError;
    while (!queue.empty() && session) {
        QueuedMessage message = std::move(queue.front());
        queue.pop_front();
        Error e = Error::NoError;
        QString reason;
        if (session->send(message.type, message.data, &e, &reason))
            continue;
        if (!session || !session->isEstablished()) {
            queue.push_front(std::move(message)); // the connection ended: keep it for the next one
            break;
        }
        ++refused; // this message cannot travel (over the server's limit, or the wire refuses it)
        refusal = reason;
        refusalError = e;
    }
    if (!session)
        return; // the connection ended while sending; a retry is under way
    setStatus(Status::Connected);
    Q_EMIT q->connected();
    if (status == Status::Connected && encryption.isEncrypted())
        Q_EMIT q->encrypted();
    if (refused > 0) {
        fail(refusalError, QStringLiteral("%1; %2 queued message(s) dropped").arg(refusal).arg(refused));
        Q_EMIT q->messagesDropped(refused);
    }
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
    setStatus(Status::Reconnecting);
    if (e != Error::NoError && status == Status::Reconnecting)
        fail(e, reason); // an unexpected loss (dead peer, broken record) is worth a signal
    if (status == Status::Reconnecting)
        Q_EMIT q->disconnected();
    if (status == Status::Reconnecting && !connecting && !session)
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
    error = e;
    errorString = reason;
    setStatus(finalStatus);
    fail(e, reason);
    dropQueue(reason);
}

void ClientPrivate::dropQueue(const QString &why)
{
    const int count = int(queue.size());
    if (count == 0)
        return;
    queue.clear();
    errorString = QStringLiteral("%1; %2 queued message(s) dropped").arg(why).arg(count);
    qCInfo(lcClient).noquote() << errorString;
    Q_EMIT q->messagesDropped(count);
}

void ClientPrivate::deliver(const Message &message)
{
    if (waiters > 0)
        inbox.push_back(message);
    Q_EMIT q->messageReceived(message);
}

void ClientPrivate::discardConnection()
{
    retryTimer.stop();
    // deleteLater: close() may run inside a slot of this very session.
    if (connecting) {
        connecting->disconnect(q);
        connecting->close();
        connecting->deleteLater();
        connecting = nullptr;
    }
    if (session) {
        session->disconnect(q); // a finished session delivers no more messages
        session->close();
        session->deleteLater();
        session = nullptr;
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
    d->discardConnection();
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
    return int(d->queue.size());
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
    if (d->misconfigured)
        return d->failMisconfigured();
    if (type <= 0)
        return d->fail(Error::InvalidMessageType,
                       QStringLiteral("write refused: message type %1 is reserved (user types are > 0)").arg(type));
    if (d->status == Status::Connected && d->session) {
        Error e = Error::NoError;
        QString reason;
        return d->session->send(type, data, &e, &reason) || d->fail(e, reason);
    }
    if (!d->isTrying())
        return d->fail(Error::NotConnected,
                       QStringLiteral("write refused: the client is not connecting (status %1); "
                                      "call connectToServer() first")
                           .arg(statusString()));
    const quint32 limit = d->server.maxMessageSize;
    if (limit > 0 && quint64(data.size()) > limit)
        return d->fail(Error::MessageTooLarge,
                       QStringLiteral("write refused: %1 bytes exceed the server's maximum message size of %2 bytes")
                           .arg(data.size()).arg(limit));
    if (int(d->queue.size()) >= d->config.writeQueueLimit)
        return d->fail(Error::WriteQueueFull,
                       QStringLiteral("write refused: %1 messages already wait for a connection (writeQueueLimit)")
                           .arg(d->queue.size()));
    d->queue.push_back(QueuedMessage{type, data});
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
    const bool wasConnected = d->status == Status::Connected;
    d->setStatus(Status::Closing);
    d->discardConnection();
    if (wasConnected)
        Q_EMIT disconnected();
    d->dropQueue(QStringLiteral("closed"));
    d->setStatus(Status::Closed);
}

bool Client::waitForConnected(std::chrono::milliseconds timeout)
{
    ++d->waiters;
    const bool ok = waitUntil(timeout, [this] { return d->status == Status::Connected || !d->isTrying(); },
                              this, &Client::statusChanged);
    --d->waiters;
    return ok && d->status == Status::Connected;
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
