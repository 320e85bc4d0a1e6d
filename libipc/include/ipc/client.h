/// \file
/// ipc::Client: connects to an ipc::Server by itself, reconnects after the
/// server goes away, and queues messages written while not connected.
#pragma once

#include <ipc/config.h>
#include <ipc/message.h>
#include <ipc/replica.h>
#include <ipc/reply.h>
#include <ipc/types.h>

#include <QFuture>
#include <QList>
#include <QObject>

#include <chrono>
#include <memory>

namespace ipc {

class ClientPrivate;

/// Connects to an ipc::Server by itself, reconnects after the server goes
/// away, and queues messages written while not connected.
///
/// State: Unconnected (just constructed, closed, or given up), then
/// Connecting, Connected, Reconnecting (after a connection is lost) and
/// Closing (within close()); stateChanged() tells each change, and error()
/// why a client gave up (Timeout: ClientConfig::timeout ran out; a bad
/// address or configuration, a fatal mismatch with the server, maxAttempts
/// spent). status() gives the same in golang-ipc's terms, where the ways of
/// being unconnected have names of their own (NotConnected, Closed, Timeout,
/// Error), for those who print it.
///
/// Delivery: a message write() accepts is queued (no connection yet, or the
/// send window is full), then sent, then confirmed once the server has
/// handed it to its application. One that can no longer be delivered
/// (close(), a timeout, a fatal error) is counted by messagesDropped() and
/// handed back by takeUndeliveredMessages(); none vanishes unreported.
/// Servers that do not acknowledge (golang-ipc, the line wire) confirm
/// nothing: there a message counts as delivered once written.
///
/// Threads: a Client lives in the thread that created it, like any QObject;
/// moveToThread() moves it with its connection. write(), request(), reply(),
/// replyError() and disconnectFromServer() may be called from any thread
/// (see write()); call everything else from the Client's own thread or
/// through queued connections to its slots.
class IPC_EXPORT Client : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(Client)
    /// The client's state; stateChanged() tells each change.
    Q_PROPERTY(ipc::Client::State state READ state NOTIFY stateChanged)
    /// The client's status in golang-ipc's terms; statusChanged() tells each change.
    Q_PROPERTY(ipc::Status status READ status NOTIFY statusChanged)

public:
    /// Where the client is in its life; why it stopped is error().
    enum class State {
        Unconnected,  ///< Not trying: just constructed, closed, or given up (see error()).
        Connecting,   ///< Trying to connect: at first, or after connectToServer().
        Connected,    ///< The connection has completed its handshake.
        Reconnecting, ///< The connection was lost; trying to connect again.
        Closing,      ///< Within close(), while the connection ends.
    };
    Q_ENUM(State)

    /// Creates a client for the server at \a address (as for Server: a name,
    /// "local:name", an absolute socket path or "tcp://host:port"). A host
    /// name is looked up on each connect, without blocking.
    ///
    /// Starts connecting once control returns to the event loop, so a slot
    /// connected right after construction sees every state change, the first
    /// statusChanged(Connecting) included. Writes made before then are queued.
    /// A malformed address or configuration puts the client in Status::Error
    /// at once (InvalidAddress or InvalidConfiguration, with errorString()
    /// saying why); errorOccurred() follows from the event loop, and later
    /// calls report that same cause again.
    explicit Client(const QString &address, const ClientConfig &config = {},
                    QObject *parent = nullptr);
    /// Destroys the client without blocking: the connection closes at once and
    /// messages the server has not confirmed are named in a warning, not
    /// awaited. Call disconnectFromServer() and waitForDisconnected() first
    /// to deliver them.
    ~Client() override;

    /// Returns the address as given to the constructor.
    QString address() const;
    /// Returns the configuration given to the constructor.
    ClientConfig config() const;

    /// Returns the client's state.
    State state() const;
    /// Returns the client's status in golang-ipc's terms: the state, with
    /// the way an unconnected client got there (NotConnected, Closed,
    /// Timeout, Error).
    Status status() const;
    /// Returns the status as golang-ipc prints it: ipc::statusString(status()).
    QString statusString() const;
    /// Returns whether the status is Connected.
    bool isConnected() const;
    /// Returns the last error; NoError again once a connection is established.
    Error error() const;
    /// Returns why error() happened, in words; empty when there is no error.
    QString errorString() const;

    /// Returns how the current connection is protected; a plain
    /// EncryptionInfo (protocol "none") while not connected.
    EncryptionInfo encryption() const;
    /// Returns what the server said about itself in the hello of the last
    /// connection.
    PeerInfo serverInfo() const;

    /// Returns how many messages are accepted and not yet sent.
    int queuedMessageCount() const;
    /// Returns how many messages are accepted and not yet confirmed, queued
    /// or sent.
    int unconfirmedMessageCount() const;
    /// Returns the bytes not yet handed to the operating system: the
    /// connection's write buffer and the queued messages.
    qint64 bytesToWrite() const;
    /// Writes what the system takes now from the connection's buffer,
    /// without blocking; true if anything was written.
    bool flush();
    /// Returns false while the write queue is full and write() refuses; see
    /// writableChanged().
    bool isWritable() const;
    /// Returns, and forgets, the messages messagesDropped() reported, in the
    /// order written, with their original data (not copies). They stay until
    /// taken.
    QList<Message> takeUndeliveredMessages();

    /// For scripts and tests (as the other waits: a local event loop, no busy
    /// waiting): waits until the client is connected. Returns false on
    /// timeout, or as soon as it stops trying (Error, Timeout, Closed).
    bool waitForConnected(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Returns the next message that arrives while a blocking wait runs
    /// (this one or any other: they are kept for the following call, in
    /// order). Each is also emitted through messageReceived(), as
    /// QLocalSocket::waitForReadyRead() also emits readyRead(). Messages
    /// that arrive while no wait runs reach only messageReceived(). Replies
    /// to request() never come here (nor to messageReceived()). On timeout
    /// or close returns a notice (Message::StatusNotice / ClosedNotice)
    /// whose data says why.
    Message waitForMessage(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Waits until bytesToWrite() is 0; false on timeout.
    bool waitForBytesWritten(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Waits until the server has confirmed every accepted message; false on
    /// timeout or when some were dropped meanwhile.
    bool waitForDelivered(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Waits until the client is no longer connected or connecting (after
    /// disconnectFromServer() or close(), or when it gave up); false on timeout.
    bool waitForDisconnected(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    /// Writes a typed payload (QCborValue, QCborMap, QCborArray,
    /// QJsonDocument or QVariantMap) as CBOR; the receiver reads it with
    /// Message::toCbor(), toJson() or toVariantMap(). (A name of its own,
    /// so that &Client::write still names one slot in connect().)
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    bool writeCbor(qint32 type, const T &payload)
    {
        return write(type, detail::encodePayload(payload));
    }

    /// Sends a request: a message the server sees with Message::isRequest()
    /// and answers with Server::reply() or Server::replyError(). The future
    /// finishes exactly once (see Reply::error): with the reply; with an
    /// error reply (RemoteError); after \a timeout counted from this call
    /// (Timeout; 0 waits without a limit); when the server received it and
    /// went away before answering (ConnectionLost); or when the client gives
    /// up or is closed (NotConnected); when the client is destroyed it is
    /// canceled, holding a NotConnected Reply, so that no continuation runs
    /// inside the destructor. Requests written while
    /// connecting or reconnecting wait in the queue as any message; one that
    /// times out before it was written is withdrawn. A request that is never
    /// delivered also counts in messagesDropped() and comes back from
    /// takeUndeliveredMessages() as a plain message. Chain with
    /// QFuture::then(context, ...), or wait with call(). Over golang-ipc v2
    /// and the line wire it fails at once (ProtocolMismatch). A reply never
    /// reaches messageReceived() or waitForMessage(). Safe to call from
    /// another thread: the request is carried to the client's thread as
    /// write() is, and its timeout counts from there.
    QFuture<Reply> request(qint32 type, const QByteArray &data,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// A request with a typed payload, sent as CBOR (see writeCbor()).
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    QFuture<Reply> request(qint32 type, const T &payload,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30))
    {
        return request(type, detail::encodePayload(payload), timeout);
    }
    /// For scripts: request() and a local event loop until it ends; returns
    /// its Reply (check Reply::isOk()). A blocking wait like the others:
    /// messages that arrive meanwhile reach messageReceived() and are also
    /// kept, in order, for the next waitForMessage().
    Reply call(qint32 type, const QByteArray &data, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// call() with a typed payload, sent as CBOR (see writeCbor()).
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    Reply call(qint32 type, const T &payload, std::chrono::milliseconds timeout = std::chrono::seconds(30))
    {
        return call(type, detail::encodePayload(payload), timeout);
    }
    /// Answers a request the server sent (Server::request()); false, with
    /// errorOccurred(), as write() or when \a request is not a request.
    /// Safe to call from another thread, as write().
    bool reply(const Message &request, qint32 type, const QByteArray &data);
    /// reply() with a typed payload, sent as CBOR (see writeCbor()).
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    bool reply(const Message &request, qint32 type, const T &payload)
    {
        return reply(request, type, detail::encodePayload(payload));
    }
    /// Answers a request with an error: the requester's Reply has
    /// Error::RemoteError, \a code as Reply::errorCode and \a text as
    /// Reply::errorString.
    bool replyError(const Message &request, qint32 code, const QString &text);

    /// Exposes \a object to the server under \a name: the server's
    /// replicas (Server::acquire()) see its signals, properties and methods
    /// (see Server::exposeObject()). False, with errorOccurred(InvalidArgument),
    /// for a null object, a name in use, an object in another thread, or a
    /// member whose type cannot travel (errorString() names it).
    bool exposeObject(QObject *object, const QString &name);
    /// Withdraws the object exposed under \a name; its replicas become
    /// SourceGone. False when nothing is exposed under it.
    bool unexposeObject(const QString &name);
    /// Returns the names of the objects this client exposes.
    QStringList exposedObjects() const;
    /// Acquires the server's object \a name as a typed replica \a T (a class
    /// made from the interface both sides compile; see
    /// docs/guides/remote-objects.md). The caller owns it; it is Waiting
    /// until the server answers (waitForValid(), stateChanged()).
    template <typename T>
    T *acquire(const QString &name, QObject *parent = nullptr)
    {
        static_assert(std::is_base_of_v<Replica, T>, "acquire<T>(): T must derive from ipc::Replica");
        T *replica = new T(parent);
        attachReplica(replica, name);
        return replica;
    }
    /// Acquires the server's object \a name without its class: members by
    /// name, values as QVariant. The caller owns it.
    DynamicReplica *acquireDynamic(const QString &name, QObject *parent = nullptr);
    /// Asks the server for the names of the objects it exposes; the future
    /// fails with RemoteCallError (ProtocolMismatch from a server without
    /// remote objects, Timeout after \a timeout).
    QFuture<QStringList> remoteObjectNames(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// \cond INTERNAL
    void attachReplica(Replica *replica, const QString &name);
    /// \endcond

public Q_SLOTS:
    /// Sends now when connected and the send window has room, else queues in
    /// order (up to writeQueueLimit). Refuses type <= 0, data over the
    /// server's maximum message size, anything once disconnectFromServer()
    /// was called, and anything while the client is not connecting (after
    /// close() or once it gave up: call connectToServer() first). A refusal
    /// because the queue is full is reported once per stretch of refusals
    /// (errorOccurred(WriteQueueFull) and writableChanged(false)), not once
    /// per write. Other refusals return false and emit errorOccurred().
    ///
    /// From another thread, write() is safe: the message is carried to the
    /// Client's thread and written there, each calling thread's messages in
    /// the order written. It returns false only when writeQueueLimit such
    /// messages are already on their way (errorOccurred(WriteQueueFull)
    /// follows); anything else that refuses the message there is reported
    /// through errorOccurred() as for a write in the Client's own thread.
    bool write(qint32 type, const QByteArray &data);
    /// Asks the server's library (not its application) to answer, as
    /// QWebSocket::ping() does; pong() says how long the answer took. False
    /// when not connected, or when the server's wire has no ping (golang-ipc
    /// v2, the line wire).
    bool ping();
    /// (Re)starts connecting after close() or a fatal error; does nothing
    /// while a connection or an attempt is under way.
    void connectToServer();
    /// Ends the connection gracefully without blocking: refuses new writes,
    /// connects if need be, sends what is queued, waits for the server to
    /// confirm everything and for the replies to open requests (at most
    /// ClientConfig::disconnectTimeout in all), then
    /// says goodbye and closes (Closed). What is still unconfirmed when the
    /// time runs out is reported as by close(). Safe to call from another
    /// thread.
    void disconnectFromServer();
    /// Says goodbye and closes at once (Closing, then Closed); every message
    /// not yet confirmed is counted by messagesDropped() and kept for
    /// takeUndeliveredMessages().
    void close();

Q_SIGNALS:
    /// Emitted when state() changes, with the new \a state.
    void stateChanged(ipc::Client::State state);
    /// Emitted when status() changes, with the new \a status (after
    /// stateChanged() when both change).
    void statusChanged(ipc::Status status);
    /// Emitted when a connection has completed its handshake (status
    /// Connected). Messages waiting from before go out first, in order,
    /// ahead of any that a slot writes.
    void connected();
    /// Emitted when an established connection ends: lost (the client then
    /// reconnects) or closed by close().
    void disconnected();
    /// Emitted right after connected() when the connection is encrypted
    /// (any SecurityLevel but Plain).
    void encrypted();
    /// Emitted for each message the server sends.
    void messageReceived(const ipc::Message &message);
    /// Emitted when an operation is refused, when queued messages turn out
    /// to be more than the server can take, when the client gives up, and
    /// when an established connection is lost unexpectedly; errorString()
    /// says why. Failed attempts that will be retried are not reported.
    void errorOccurred(ipc::Error error);
    /// Emitted when the server confirmed \a count more messages.
    void messagesDelivered(int count);
    /// Emitted with the answer to ping(), after \a elapsedMicroseconds.
    void pong(quint64 elapsedMicroseconds);
    /// Emitted for accepted messages that will not be delivered: on close,
    /// timeout, a fatal error, a message the server cannot take, or a server
    /// restart with Redelivery::AtMostOnce. takeUndeliveredMessages() has them.
    void messagesDropped(int count);
    /// Emitted with false when the write queue has filled (write() now
    /// refuses), with true once it has drained to half.
    void writableChanged(bool writable);

private:
    friend class ClientPrivate;
    std::unique_ptr<ClientPrivate> d;
};

} // namespace ipc
