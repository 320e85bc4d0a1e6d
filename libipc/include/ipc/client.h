// ipc::Client: connects to an ipc::Server by itself, reconnects after the
// server goes away, and queues messages written while not connected.
//
// Status values a Client reaches: NotConnected (just constructed), then
// Connecting, Connected, Reconnecting (after a connection is lost), Closing
// and Closed (close()), Timeout (ClientConfig::timeout ran out) and Error (a
// bad address or configuration, a fatal mismatch with the server, or
// maxAttempts spent).
//
// Threads: a Client lives in the thread that created it, like any QObject;
// moveToThread() moves it with its connection. write() may be called from
// any thread (see there); call everything else from the Client's own thread
// or through queued connections to its slots.
#pragma once

#include <ipc/config.h>
#include <ipc/message.h>
#include <ipc/types.h>

#include <QList>
#include <QObject>

#include <chrono>
#include <memory>

namespace ipc {

class ClientPrivate;

class IPC_EXPORT Client : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(Client)
    Q_PROPERTY(ipc::Status status READ status NOTIFY statusChanged)

public:
    // Starts connecting once control returns to the event loop, so a slot
    // connected right after construction sees every state change, the first
    // statusChanged(Connecting) included. Writes made before then are queued.
    // A malformed address or configuration puts the client in Status::Error
    // at once (InvalidAddress or InvalidConfiguration, with errorString()
    // saying why); errorOccurred() follows from the event loop, and later
    // calls report that same cause again.
    explicit Client(const QString &address, const ClientConfig &config = {},
                    QObject *parent = nullptr);
    ~Client() override;

    QString address() const;
    ClientConfig config() const;

    Status status() const;
    QString statusString() const;
    bool isConnected() const;
    Error error() const;
    QString errorString() const;

    EncryptionInfo encryption() const; // of the current connection
    PeerInfo serverInfo() const;       // what the server said in its hello

    // Delivery. A message write() accepts is queued (no connection yet, or
    // the send window is full), then sent, then confirmed once the server
    // has handed it to its application. One that can no longer be delivered
    // (close(), a timeout, a fatal error) is counted by messagesDropped() and
    // handed back by takeUndeliveredMessages(); none vanishes unreported.
    // Servers that do not acknowledge (golang-ipc, the line wire) confirm
    // nothing: there a message counts as delivered once written.
    int queuedMessageCount() const;      // accepted, not yet sent
    int unconfirmedMessageCount() const; // accepted, not yet confirmed (queued or sent)
    // Bytes not yet handed to the operating system: the connection's write
    // buffer and the queued messages.
    qint64 bytesToWrite() const;
    // Writes what the system takes now from the connection's buffer,
    // without blocking; true if anything was written.
    bool flush();
    // False while the write queue is full and write() refuses; see
    // writableChanged().
    bool isWritable() const;
    // The messages messagesDropped() reported, in the order written, with
    // their original data (not copies). They stay until taken.
    QList<Message> takeUndeliveredMessages();

    // For scripts and tests: run a local event loop (no busy waiting).
    bool waitForConnected(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Returns the next message; messages that arrive during any wait are kept
    // for the following call. On timeout or close returns a notice
    // (Message::StatusNotice / ClosedNotice) whose data says why.
    Message waitForMessage(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Until bytesToWrite() is 0; false on timeout.
    bool waitForBytesWritten(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Until the server has confirmed every accepted message; false on
    // timeout or when some were dropped meanwhile.
    bool waitForDelivered(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Until the client is no longer connected or connecting (after
    // disconnectFromServer() or close(), or when it gave up); false on timeout.
    bool waitForDisconnected(std::chrono::milliseconds timeout = std::chrono::seconds(30));

public Q_SLOTS:
    // Sends now when connected and the send window has room, else queues in
    // order (up to writeQueueLimit). Refuses type <= 0, data over the
    // server's maximum message size, and anything once disconnectFromServer()
    // was called. A refusal because the queue is full is reported once per
    // stretch of refusals (errorOccurred(WriteQueueFull) and
    // writableChanged(false)), not once per write.
    //
    // From another thread, write() is safe: the message is carried to the
    // Client's thread and written there, each calling thread's messages in
    // the order written. It returns false only when writeQueueLimit such
    // messages are already on their way (errorOccurred(WriteQueueFull)
    // follows); anything else that refuses the message there is reported
    // through errorOccurred() as for a write in the Client's own thread.
    bool write(qint32 type, const QByteArray &data);
    // Asks the server's library (not its application) to answer, as
    // QWebSocket::ping() does; pong() says how long the answer took. False
    // when not connected, or when the server's wire has no ping (golang-ipc
    // v2, the line wire).
    bool ping();
    // (Re)starts connecting after close() or a fatal error.
    void connectToServer();
    // Ends the connection gracefully without blocking: refuses new writes,
    // connects if need be, sends what is queued, waits for the server to
    // confirm everything (at most ClientConfig::disconnectTimeout), then
    // says goodbye and closes (Closed). What is still unconfirmed when the
    // time runs out is reported as by close().
    void disconnectFromServer();
    // Says goodbye and closes at once; every message not yet confirmed is
    // counted by messagesDropped() and kept for takeUndeliveredMessages().
    void close();

Q_SIGNALS:
    void statusChanged(ipc::Status status);
    void connected();
    void disconnected();
    void encrypted();
    void messageReceived(const ipc::Message &message);
    void errorOccurred(ipc::Error error);
    // The server confirmed `count` more messages.
    void messagesDelivered(int count);
    // The answer to ping(), after this many microseconds.
    void pong(quint64 elapsedMicroseconds);
    // Accepted messages that will not be delivered: on close, timeout, a
    // fatal error, a message the server cannot take, or a server restart
    // with Redelivery::AtMostOnce. takeUndeliveredMessages() has them.
    void messagesDropped(int count);
    // false when the write queue has filled (write() now refuses), true
    // once it has drained to half.
    void writableChanged(bool writable);

private:
    friend class ClientPrivate;
    std::unique_ptr<ClientPrivate> d;
};

} // namespace ipc
