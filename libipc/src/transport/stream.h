// One byte stream to a peer over any QIODevice: a QLocalSocket or a
// QTcpSocket (their signals and errors folded into one shape), or any other
// device (an in-memory pipe in tests), whose end is readChannelFinished().
#pragma once

#include "address.h"

#include <ipc/types.h>

#include <QObject>

class QIODevice;
class QLocalSocket;
class QTcpSocket;

namespace ipc {

class Stream : public QObject
{
    Q_OBJECT

public:
    // Client side: a socket for address; call connectToPeer() once the
    // caller's connections are made (a local connect can finish at once).
    static Stream *create(const Address &address, QObject *parent = nullptr);
    void connectToPeer(const Address &address);
    // Wraps an open device (an accepted socket); takes ownership.
    explicit Stream(QIODevice *device, QObject *parent = nullptr);
    ~Stream() override;

    QIODevice *device() const { return m_device; }
    // Who is at the other end, for logs and telemetry.
    QString peerName() const;
    // The peer process's pid, uid and gid as the kernel saw them when it
    // connected (local sockets on Linux); unknown (-1) when the system does not say.
    PeerCredentials peerCredentials() const;
    // Queues bytes for the peer; false once the stream is closed.
    bool write(const QByteArray &bytes);
    bool write(const char *data, qint64 size);

    // Flushes what the kernel accepts now, then closes; never blocks.
    void close();
    // Hands the kernel what it takes now, without blocking; true if anything went.
    bool flush();

Q_SIGNALS:
    void connected();
    void readyRead();
    // Once: the connection attempt failed or the connection ended.
    void closed(ipc::Error error, const QString &reason);

private:
    void onConnected();
    void finish(Error error, const QString &reason);
    QString describe(Error error, const QString &systemText) const;

    QIODevice *m_device = nullptr;
    QString m_peerName; // for error texts
    QLocalSocket *m_local = nullptr;
    QTcpSocket *m_tcp = nullptr;
    bool m_finished = false;
};

} // namespace ipc
