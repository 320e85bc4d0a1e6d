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
    int queuedMessageCount() const;    // written, waiting for a connection

    // For scripts and tests: run a local event loop (no busy waiting).
    bool waitForConnected(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Returns the next message; messages that arrive during any wait are kept
    // for the following call. On timeout or close returns a notice
    // (Message::StatusNotice / ClosedNotice) whose data says why.
    Message waitForMessage(std::chrono::milliseconds timeout = std::chrono::seconds(30));

public Q_SLOTS:
    // Sends now when connected, else queues in order (up to writeQueueLimit).
    // Refuses type <= 0 and data over the server's maximum message size.
    //
    // From another thread, write() is safe: the message is carried to the
    // Client's thread and written there, each calling thread's messages in
    // the order written. It returns false only when writeQueueLimit such
    // messages are already on their way (errorOccurred(WriteQueueFull)
    // follows); anything else that refuses the message there is reported
    // through errorOccurred() as for a write in the Client's own thread.
    bool write(qint32 type, const QByteArray &data);
    // (Re)starts connecting after close() or a fatal error.
    void connectToServer();
    // Says goodbye and closes at once; unsent queued messages are reported
    // through messagesDropped().
    void close();

Q_SIGNALS:
    void statusChanged(ipc::Status status);
    void connected();
    void disconnected();
    void encrypted();
    void messageReceived(const ipc::Message &message);
    void errorOccurred(ipc::Error error);
    // Queued messages that will never be sent: on timeout or close.
    void messagesDropped(int count);

private:
    friend class ClientPrivate;
    std::unique_ptr<ClientPrivate> d;
};

} // namespace ipc
