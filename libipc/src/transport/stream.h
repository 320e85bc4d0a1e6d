// One byte stream to a peer, over a QLocalSocket or a QTcpSocket, with the
// two sockets' signals and errors folded into one shape.
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
    // Server side: wraps an accepted socket.
    explicit Stream(QLocalSocket *socket, QObject *parent = nullptr);
    explicit Stream(QTcpSocket *socket, QObject *parent = nullptr);
    ~Stream() override;

    QIODevice *device() const { return m_device; }
    // Queues bytes for the peer; false once the stream is closed.
    bool write(const QByteArray &bytes);

    // Flushes what the kernel accepts now, then closes; never blocks.
    void close();
    void flush();

Q_SIGNALS:
    void connected();
    void readyRead();
    // Once: the connection attempt failed or the connection ended.
    void closed(ipc::Error error, const QString &reason);

private:
    void attach(QIODevice *device);
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
