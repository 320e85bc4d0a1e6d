// A Stream over a unix socket on Linux whose descriptor libipc reads and
// writes itself: bytes go from the socket straight into the caller's buffer
// (QLocalSocket copies them through two buffers of its own), queued writes
// leave in one writev(), and descriptors travel with the bytes (SCM_RIGHTS),
// which large messages in shared memory use.
#pragma once

#include "transport/stream.h"

#include <QTimer>

#include <deque>

class QSocketNotifier;

namespace ipc {

class UnixSocketStream : public Stream
{
    Q_OBJECT

public:
    // Client side, not connected yet.
    explicit UnixSocketStream(QObject *parent = nullptr);
    // An accepted connection; takes ownership of the descriptor.
    explicit UnixSocketStream(int descriptor, QObject *parent = nullptr);
    ~UnixSocketStream() override;

    void connectToPeer(const Address &address) override;
    QString peerName() const override;
    PeerCredentials peerCredentials() const override;
    qint64 bytesAvailable() const override;
    qint64 read(char *data, qint64 maxSize) override;
    bool write(const char *data, qint64 size) override;
    bool write(const QByteArray &bytes) override;
    qint64 bytesToWrite() const override { return m_queue.bytes(); }
    bool flush() override;
    bool requestSend() override;
    void close() override;
    // Not for a while after this process ran out of descriptors: the peer
    // then sends large messages in the stream (see read()).
    bool canPassDescriptors() const override;
    bool writeWithDescriptor(const QByteArray &bytes, int descriptor) override;
    int takeDescriptor(QString *whyNone) override;

    // Bytes to write, oldest first, written with as few system calls as the
    // kernel allows. A descriptor goes with its chunk's first byte.
    class SendQueue
    {
    public:
        SendQueue() = default;
        SendQueue(SendQueue &&) = default;
        SendQueue &operator=(SendQueue &&) = default;
        ~SendQueue(); // closes descriptors that never went

        void append(const char *data, qsizetype size);
        void append(const QByteArray &bytes, int descriptor = -1); // by reference
        bool isEmpty() const { return m_chunks.empty(); }
        qint64 bytes() const { return m_bytes; }
        enum class Result { Drained, Blocked, Broken };
        // Writes what the kernel takes now; errno tells why it broke.
        Result writeTo(int fd);

    private:
        struct Chunk
        {
            QByteArray bytes;
            qsizetype sent = 0;
            int descriptor = -1;
            bool appendable = false; // our own copy of small writes
        };
        void consume(qint64 sent);

        std::deque<Chunk> m_chunks;
        qint64 m_bytes = 0;
        QByteArray m_spare; // a drained small-writes buffer, kept for the next ones
    };

private:
    void attemptConnect();
    void open(int descriptor);
    void onReadable();
    void onWritable();
    // Writes what the kernel takes now; false once the connection broke.
    bool writeQueued();
    void updateWriteNotifier();
    void scheduleSend();
    void runBeforeSend();
    void finish(Error error, const QString &reason);
    void finishLater(Error error, const QString &reason);

    int m_fd = -1;
    QString m_path; // client side: where to connect
    QString m_peerName; // for error texts
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer m_connectRetry; // the listener's backlog was full
    SendQueue m_queue;
    mutable qint64 m_knownAvailable = 0; // what FIONREAD said, less what was read since
    bool m_readAll = false; // all of it was read: nothing more until the read notifier fires
    std::deque<int> m_received; // descriptors that arrived, not yet taken (or lost: -1)
    bool m_finished = false; // closed() was emitted
    bool m_closing = false; // close() was called
    bool m_sendScheduled = false; // a posted send is on its way
};

} // namespace ipc
