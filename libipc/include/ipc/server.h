// ipc::Server: accepts many clients on a local socket or TCP address and
// exchanges typed messages with each of them.
//
// Status values a Server reaches: NotConnected (constructed), Listening,
// Closing and Closed (close()), Error (a bad address or configuration, or a
// failed listen()). Connection states belong to each client, whose
// arrivals, departures and errors have signals of their own.
//
// Threads: a Server lives in the thread that created it, like any QObject;
// moveToThread() moves it with its connections. write() and broadcast() may
// be called from any thread (see there); call everything else from the
// Server's own thread or through queued connections to its slots.
#pragma once

#include <ipc/config.h>
#include <ipc/message.h>
#include <ipc/types.h>

#include <QList>
#include <QObject>

#include <chrono>
#include <memory>

namespace ipc {

class ServerPrivate;

class IPC_EXPORT Server : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(Server)
    Q_PROPERTY(ipc::Status status READ status NOTIFY statusChanged)

public:
    // address: "name" or "local:name" (/tmp/name.sock; a named pipe on
    // Windows), an absolute socket path, or "tcp://host:port". A malformed
    // address or configuration puts the server in Status::Error at once
    // (InvalidAddress or InvalidConfiguration, with errorString() saying
    // why); errorOccurred() follows from the event loop, so a slot
    // connected right after construction hears it.
    explicit Server(const QString &address, const ServerConfig &config = {},
                    QObject *parent = nullptr);
    ~Server() override;

    // Starts listening. Fails with AddressInUse when a live server holds the
    // address; a stale socket file left by a crashed server is replaced.
    bool listen();
    bool isListening() const;

    QString address() const;
    // The socket path or host:port actually bound (a TCP port 0 is resolved).
    QString listeningAddress() const;
    ServerConfig config() const;

    Status status() const;
    QString statusString() const;
    Error error() const;
    QString errorString() const;

    QList<quint64> clientIds() const;
    QList<ClientInfo> clients() const;
    ClientInfo clientInfo(quint64 clientId) const; // id 0 when unknown
    int clientCount() const;
    // Connections refused by sameUserOnly since construction.
    int refusedPeerCount() const;

    // Delivery, per client, as for Client: a message write() accepts is
    // queued (the client's send window is full), sent, then confirmed once
    // the client has handed it to its application. When a client is gone
    // for good (it said goodbye, was disconnected, or did not resume within
    // resumeTimeout), what it never confirmed is counted by
    // clientMessagesDropped() and handed back by takeUndeliveredMessages().
    // A client whose connection broke and that resumes within resumeTimeout
    // gets what it had not confirmed again, exactly once, under its new id.
    int unconfirmedMessageCount(quint64 clientId) const;
    // False while that client's write queue is full; see clientWritableChanged().
    bool isWritable(quint64 clientId) const;
    // What clientMessagesDropped() reported for one client, or for all
    // (clientId 0); each Message's clientId says whose it was.
    QList<Message> takeUndeliveredMessages(quint64 clientId = 0);

    // For scripts and tests: runs a local event loop until a client message
    // arrives; on timeout returns a Message::StatusNotice.
    Message waitForMessage(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    bool waitForClient(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Until every connected client has confirmed every message; false on timeout.
    bool waitForDelivered(std::chrono::milliseconds timeout = std::chrono::seconds(30));

public Q_SLOTS:
    // Sends to one connected client, or queues while its send window is
    // full. Returns false for an unknown client, type <= 0, data over the
    // client's maximum size, or a full write queue, and reports why through
    // clientErrorOccurred(clientId, ...): a write's failure is that client's,
    // never the server's own error. A full queue is reported once per
    // stretch of refusals, with clientWritableChanged(clientId, false).
    bool write(quint64 clientId, qint32 type, const QByteArray &data);
    // Sends to every connected client; returns how many it was sent to. A
    // client it could not be sent to gets clientErrorOccurred, as in write().
    // Type <= 0 is refused as the server's own error (errorOccurred).
    //
    // From another thread, write() and broadcast() are safe: the call is
    // carried to the Server's thread, each calling thread's calls in order.
    // write() then returns true and broadcast() -1 (queued, count unknown);
    // failures there are reported through the usual signals. When 65,536
    // calls are already on their way, both refuse at once (false, 0) and
    // errorOccurred(WriteQueueFull) follows.
    int broadcast(qint32 type, const QByteArray &data);
    // Says goodbye to one client and closes its connection; what it has not
    // confirmed is reported (clientMessagesDropped).
    void disconnectClient(quint64 clientId);
    // Says goodbye to every client, stops listening and removes the socket
    // file; every client's unconfirmed messages are reported.
    void close();

Q_SIGNALS:
    void statusChanged(ipc::Status status);
    void clientConnected(quint64 clientId);
    // A client whose connection completes its handshake becomes encrypted.
    void clientEncrypted(quint64 clientId);
    void clientDisconnected(quint64 clientId);
    void messageReceived(const ipc::Message &message);
    // An error on one connection (a broken or hostile peer, which is then
    // closed, or a write to it that was refused); the server goes on
    // serving the others.
    void clientErrorOccurred(quint64 clientId, ipc::Error error, const QString &errorString);
    // The client confirmed `count` more messages.
    void clientMessagesDelivered(quint64 clientId, int count);
    // Messages accepted for a client that is gone for good and never
    // confirmed them; takeUndeliveredMessages(clientId) has them.
    void clientMessagesDropped(quint64 clientId, int count);
    // false when the client's write queue has filled (write() to it now
    // refuses), true once it has drained to half.
    void clientWritableChanged(quint64 clientId, bool writable);
    void errorOccurred(ipc::Error error);

private:
    friend class ServerPrivate;
    std::unique_ptr<ServerPrivate> d;
};

} // namespace ipc
