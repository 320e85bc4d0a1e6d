// One byte stream to a peer, whatever carries it: a QLocalSocket or a
// QTcpSocket (DeviceStream, any QIODevice), or on Linux a unix socket whose
// descriptor libipc reads and writes itself (UnixSocketStream: no copy
// through Qt's buffers, and file descriptors can travel with the bytes).
#pragma once

#include "address.h"

#include <ipc/types.h>

#include <QByteArray>
#include <QObject>

#include <functional>

namespace ipc {

class Stream : public QObject
{
    Q_OBJECT

public:
    // Client side: a stream for address; call connectToPeer() once the
    // caller's connections are made (a local connect can finish at once).
    static Stream *create(const Address &address, QObject *parent = nullptr);
    virtual void connectToPeer(const Address &address) = 0;

    // Who is at the other end, for logs and telemetry.
    virtual QString peerName() const = 0;
    // The peer process's pid, uid and gid as the kernel saw them when it
    // connected (local sockets on Linux); unknown (-1) when the system does not say.
    virtual PeerCredentials peerCredentials() const;

    // Bytes that can be read now without waiting.
    virtual qint64 bytesAvailable() const = 0;
    // Reads up to maxSize bytes that have arrived; 0 when none have.
    virtual qint64 read(char *data, qint64 maxSize) = 0;

    // Queues bytes for the peer; false once the stream is closed. A large
    // QByteArray is kept by reference, not copied.
    virtual bool write(const char *data, qint64 size) = 0;
    virtual bool write(const QByteArray &bytes) = 0;
    // Bytes queued that the system has not taken yet.
    virtual qint64 bytesToWrite() const = 0;
    // Hands the system what it takes now, without blocking; true if anything went.
    virtual bool flush() = 0;
    // Flushes what the system takes now, then closes; what is left still
    // leaves in the background. Never blocks.
    virtual void close() = 0;

    // Whether file descriptors can travel with the bytes (unix sockets on Linux).
    virtual bool canPassDescriptors() const { return false; }
    // Queues bytes with a descriptor that arrives with them, and takes
    // ownership of the descriptor. False when it cannot travel.
    virtual bool writeWithDescriptor(const QByteArray &bytes, int descriptor);
    // The oldest descriptor received and not yet taken (the caller owns it),
    // or -1; then *whyNone says why when this side lost it (no descriptor
    // left in this process), and is left empty when the peer sent none.
    virtual int takeDescriptor(QString *whyNone)
    {
        Q_UNUSED(whyNone)
        return -1;
    }

    // Runs right before queued bytes go to the system, so that the owner can
    // add what it held back for that write (a sealed batch); what it writes
    // goes in the same send.
    void setBeforeSend(std::function<void()> hook) { m_beforeSend = std::move(hook); }
    // Asks for a send on the event loop's next turn even with nothing queued
    // yet, for the hook to fill. False when the stream has no such turn of
    // its own (the owner then arranges its own).
    virtual bool requestSend() { return false; }

Q_SIGNALS:
    void connected();
    void readyRead();
    // The system took queued bytes (not emitted from inside flush()).
    void bytesWritten();
    // Once: the connection attempt failed or the connection ended.
    void closed(ipc::Error error, const QString &reason);

protected:
    using QObject::QObject;
    std::function<void()> m_beforeSend;
    // Qt's texts for a failed connect are vague ("Invalid name"); say what happened.
    static QString describe(Error error, const QString &peer, const QString &systemText);
};

} // namespace ipc
