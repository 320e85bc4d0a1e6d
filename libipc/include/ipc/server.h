/// \file
/// ipc::Server: accepts many clients on a local socket or TCP address and
/// exchanges typed messages with each of them.
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

class ServerPrivate;

/// Accepts many clients on a local socket or TCP address and exchanges
/// typed messages with each of them.
///
/// State: NotListening (constructed, closed, or listen() failed), Listening,
/// and Closing while close() ends the connections; stateChanged() tells each
/// change, error() why listening failed. Connection states belong to each
/// client, whose arrivals, departures and errors have signals of their own.
/// status() gives the same in golang-ipc's terms (NotConnected, Listening,
/// Closing, Closed, Error), for those who print it.
///
/// Threads: a Server lives in the thread that created it, like any QObject;
/// moveToThread() moves it with its connections. write(), broadcast(),
/// request(), reply() and replyError() may be called from any thread (see
/// broadcast());
/// call everything else from the Server's own thread or through queued
/// connections to its slots.
class IPC_EXPORT Server : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(Server)
    /// The server's state; stateChanged() tells each change.
    Q_PROPERTY(ipc::Server::State state READ state NOTIFY stateChanged)
    /// The server's status in golang-ipc's terms; statusChanged() tells each change.
    Q_PROPERTY(ipc::Status status READ status NOTIFY statusChanged)

public:
    /// Where the server is in its life; what went wrong is error().
    enum class State {
        NotListening, ///< Constructed, closed, or listen() failed.
        Listening,    ///< listen() succeeded: clients are accepted.
        Closing,      ///< Within close(), while the connections end.
    };
    Q_ENUM(State)

    /// Creates a server for \a address, which it does not bind until
    /// listen(). \a address: "name" or "local:name" (/tmp/name.sock; a named
    /// pipe on Windows), an absolute socket path, or "tcp://host:port" (a
    /// host name is looked up in listen(), which waits for it). A
    /// malformed address or configuration puts the server in Status::Error
    /// at once (InvalidAddress or InvalidConfiguration, with errorString()
    /// saying why); errorOccurred() follows from the event loop, so a slot
    /// connected right after construction hears it.
    explicit Server(const QString &address, const ServerConfig &config = {},
                    QObject *parent = nullptr);
    /// Destroys the server without blocking: it closes every connection at
    /// once and emits nothing for them; messages clients have not confirmed
    /// are named in a warning, not awaited.
    ~Server() override;

    /// Starts listening; returns true on success (or when already
    /// listening). Fails with AddressInUse when a live server holds the
    /// address; a stale socket file left by a crashed server is replaced. On
    /// failure the status becomes Error, error() and errorString() say why
    /// and errorOccurred() is emitted.
    bool listen();
    /// Returns whether the server is listening: listen() succeeded and
    /// close() has not been called since.
    bool isListening() const;

    /// Returns the address as given to the constructor.
    QString address() const;
    /// Returns the socket path or host:port actually bound (a TCP port 0 is
    /// resolved); empty while not listening.
    QString listeningAddress() const;
    /// Returns the configuration given to the constructor.
    ServerConfig config() const;

    /// Returns the server's state (not its clients').
    State state() const;
    /// Returns the server's status in golang-ipc's terms: the state, with
    /// Closed or Error for a server that stopped listening.
    Status status() const;
    /// Returns the status as golang-ipc prints it: ipc::statusString(status()).
    QString statusString() const;
    /// Returns the server's own last error (NoError after a successful
    /// listen()); a client's errors are clientErrorOccurred()'s.
    Error error() const;
    /// Returns why error() happened, in words; empty when there is no error.
    QString errorString() const;

    /// Returns the ids of the connected clients (handshake completed), in
    /// ascending order.
    QList<quint64> clientIds() const;
    /// Returns what is known of each connected client, in ascending order
    /// of id.
    QList<ClientInfo> clients() const;
    /// Returns what is known of one connected client; a ClientInfo with id 0
    /// when there is no such client (or its handshake is not complete).
    ClientInfo clientInfo(quint64 clientId) const;
    /// Returns how many clients are connected (handshake completed).
    int clientCount() const;
    /// Returns how many connections ServerConfig::sameUserOnly refused since
    /// construction.
    int refusedPeerCount() const;

    /// Returns how many messages accepted for \a clientId it has not
    /// confirmed yet, queued or sent; 0 for an unknown client.
    ///
    /// Delivery, per client, as for Client: a message write() accepts is
    /// queued (the client's send window is full), sent, then confirmed once
    /// the client has handed it to its application. When a client is gone
    /// for good (it said goodbye, was disconnected, or did not resume within
    /// resumeTimeout), what it never confirmed is counted by
    /// clientMessagesDropped() and handed back by takeUndeliveredMessages().
    /// A client whose connection broke and that resumes within resumeTimeout
    /// gets what it had not confirmed again, exactly once, under its new id.
    int unconfirmedMessageCount(quint64 clientId) const;
    /// Returns false while that client's write queue is full (and for an
    /// unknown client); see clientWritableChanged().
    bool isWritable(quint64 clientId) const;
    /// Returns, and forgets, what clientMessagesDropped() reported for one
    /// client, or for all (clientId 0), in the order written; each Message's
    /// clientId says whose it was.
    QList<Message> takeUndeliveredMessages(quint64 clientId = 0);

    /// For scripts and tests: runs a local event loop until a client message
    /// arrives and returns it; on timeout returns a Message::StatusNotice.
    /// Only messages that arrive during the wait count; each is also
    /// emitted through messageReceived(). Replies to request() never come
    /// here.
    Message waitForMessage(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// For scripts and tests: runs a local event loop until at least one
    /// client is connected (returns at once if one is); false on timeout.
    bool waitForClient(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Runs a local event loop until every connected client has confirmed
    /// every message; false on timeout.
    bool waitForDelivered(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    /// write() with a typed payload (QCborValue, QCborMap, QCborArray,
    /// QJsonDocument or QVariantMap), sent as CBOR; the client reads it with
    /// Message::toCbor(), toJson() or toVariantMap(). (A name of its own,
    /// so that &Server::write still names one slot in connect().)
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    bool writeCbor(quint64 clientId, qint32 type, const T &payload)
    {
        return write(clientId, type, detail::encodePayload(payload));
    }
    /// broadcast() with a typed payload, sent as CBOR.
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    int broadcastCbor(qint32 type, const T &payload)
    {
        return broadcast(type, detail::encodePayload(payload));
    }
    /// Answers \a request (a Message with isRequest(), as messageReceived()
    /// delivers it) with a message of \a type and \a data; the client's
    /// request() future finishes with it. Written as write() writes, to the
    /// client that sent the request (under its new id if it has resumed
    /// since). False, with clientErrorOccurred(), as write() or when
    /// \a request is not a request. Safe to call from another thread.
    bool reply(const Message &request, qint32 type, const QByteArray &data);
    /// reply() with a typed payload, sent as CBOR.
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    bool reply(const Message &request, qint32 type, const T &payload)
    {
        return reply(request, type, detail::encodePayload(payload));
    }
    /// Answers \a request with an error: the client's Reply has
    /// Error::RemoteError, \a code as Reply::errorCode and \a text as
    /// Reply::errorString.
    bool replyError(const Message &request, qint32 code, const QString &text);
    /// Sends a request to one client, which answers with Client::reply();
    /// the future finishes exactly once, as for Client::request(): with the
    /// reply, an error reply, after \a timeout (0: no limit), or when the
    /// client goes away for good or the server closes; canceled, holding a
    /// NotConnected Reply, when the server is destroyed. Safe to call from
    /// another thread, as write().
    QFuture<Reply> request(quint64 clientId, qint32 type, const QByteArray &data,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// request() with a typed payload, sent as CBOR.
    template <typename T, std::enable_if_t<IsCborPayload<T>, int> = 0>
    QFuture<Reply> request(quint64 clientId, qint32 type, const T &payload,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30))
    {
        return request(clientId, type, detail::encodePayload(payload), timeout);
    }

    /// Exposes \a object to clients under \a name, as Qt Remote Objects'
    /// enableRemoting() does: a client's replica (Client::acquire()) gets
    /// the values of its properties on acquire and after every change their
    /// NOTIFY signals announce; each of its signals, in order and exactly
    /// once across a resumed connection; and calls to its public slots and
    /// Q_INVOKABLE methods, which run here with the arguments converted to
    /// the parameters' types. Arguments, results and properties travel as
    /// CBOR (numbers, strings, bytes, date-times, URLs, UUIDs, enums,
    /// Q_GADGET structs, lists and string-keyed maps of them). The object
    /// must live in the server's thread and stay owned by the caller;
    /// deleting it withdraws it. False, with errorOccurred(InvalidArgument),
    /// for a null object, a name in use, an object in another thread, or a
    /// member whose type cannot travel (errorString() names the member and
    /// the type).
    bool exposeObject(QObject *object, const QString &name);
    /// Withdraws the object exposed under \a name; its replicas become
    /// SourceGone. False when nothing is exposed under it.
    bool unexposeObject(const QString &name);
    /// Returns the names of the objects this server exposes.
    QStringList exposedObjects() const;
    /// Acquires the object client \a clientId exposes under \a name
    /// (Client::exposeObject()) as a typed replica \a T. The caller owns it.
    template <typename T>
    T *acquire(quint64 clientId, const QString &name, QObject *parent = nullptr)
    {
        static_assert(std::is_base_of_v<Replica, T>, "acquire<T>(): T must derive from ipc::Replica");
        T *replica = new T(parent);
        attachReplica(replica, clientId, name);
        return replica;
    }
    /// Acquires client \a clientId's object \a name without its class.
    DynamicReplica *acquireDynamic(quint64 clientId, const QString &name, QObject *parent = nullptr);
    /// \cond INTERNAL
    void attachReplica(Replica *replica, quint64 clientId, const QString &name);
    /// \endcond

public Q_SLOTS:
    /// Sends to one connected client, or queues while its send window is
    /// full. Returns false for an unknown client, type <= 0, data over the
    /// client's maximum size, or a full write queue, and reports why through
    /// clientErrorOccurred(clientId, ...): a write's failure is that client's,
    /// never the server's own error. A full queue is reported once per
    /// stretch of refusals, with clientWritableChanged(clientId, false).
    /// Safe to call from another thread (see broadcast()).
    bool write(quint64 clientId, qint32 type, const QByteArray &data);
    /// Sends to every connected client; returns how many it was sent to. A
    /// client it could not be sent to gets clientErrorOccurred, as in write().
    /// Type <= 0 is refused as the server's own error (errorOccurred).
    ///
    /// From another thread, write() and broadcast() are safe: the call is
    /// carried to the Server's thread, each calling thread's calls in order.
    /// write() then returns true and broadcast() the number of clients
    /// connected when it was called (it reaches those still connected when
    /// it arrives); failures there are reported through the usual signals.
    /// A type <= 0 is refused at once from any thread. When 65,536
    /// calls are already on their way, both refuse at once (false, 0) and
    /// errorOccurred(WriteQueueFull) follows.
    int broadcast(qint32 type, const QByteArray &data);
    /// Says goodbye to one client and closes its connection; what it has not
    /// confirmed is reported (clientMessagesDropped). Does nothing for an
    /// unknown client.
    void disconnectClient(quint64 clientId);
    /// Says goodbye to every client, stops listening and removes the socket
    /// file; every client's unconfirmed messages are reported. The status
    /// goes through Closing to Closed. Does nothing when the server is
    /// neither listening nor has connections.
    void close();

Q_SIGNALS:
    /// Emitted when state() changes, with the new \a state.
    void stateChanged(ipc::Server::State state);
    /// Emitted when status() changes, with the new \a status (after
    /// stateChanged() when both change).
    void statusChanged(ipc::Status status);
    /// Emitted when a client has completed its handshake: it is now in
    /// clientIds() and write() reaches it.
    void clientConnected(quint64 clientId);
    /// Emitted right after clientConnected() when that client's connection
    /// is encrypted (any SecurityLevel but Plain).
    void clientEncrypted(quint64 clientId);
    /// Emitted when a connected client's connection has ended, whatever the
    /// cause (goodbye, error, disconnectClient() or close()).
    void clientDisconnected(quint64 clientId);
    /// Emitted for each message a client sends; Message::clientId says
    /// which client.
    void messageReceived(const ipc::Message &message);
    /// Emitted for an error on one connection (a broken or hostile peer,
    /// which is then closed, or a write to it that was refused); the server
    /// goes on serving the others.
    void clientErrorOccurred(quint64 clientId, ipc::Error error, const QString &errorString);
    /// Emitted when the client confirmed \a count more messages.
    void clientMessagesDelivered(quint64 clientId, int count);
    /// Emitted for messages accepted for a client that is gone for good and
    /// never confirmed them; takeUndeliveredMessages(clientId) has them.
    void clientMessagesDropped(quint64 clientId, int count);
    /// Emitted with false when the client's write queue has filled (write()
    /// to it now refuses), with true once it has drained to half.
    void clientWritableChanged(quint64 clientId, bool writable);
    /// Emitted for the server's own errors: a bad address or configuration
    /// (from the event loop after construction), a failed listen(), a
    /// refused broadcast() or too many writes from other threads;
    /// errorString() says why.
    void errorOccurred(ipc::Error error);

private:
    friend class ServerPrivate;
    std::unique_ptr<ServerPrivate> d;
};

} // namespace ipc
