// A Stream over any QIODevice: a QLocalSocket or a QTcpSocket (their
// signals and errors folded into one shape), or any other device (an
// in-memory pipe in tests), whose end is readChannelFinished().
#pragma once

#include "transport/stream.h"

class QIODevice;
class QLocalSocket;
class QTcpSocket;

namespace ipc {

class DeviceStream : public Stream
{
    Q_OBJECT

public:
    // Wraps a device, open (an accepted socket) or to be connected; takes ownership.
    explicit DeviceStream(QIODevice *device, QObject *parent = nullptr);
    ~DeviceStream() override;

    void connectToPeer(const Address &address) override;
    QString peerName() const override;
    PeerCredentials peerCredentials() const override;
    qint64 bytesAvailable() const override;
    qint64 read(char *data, qint64 maxSize) override;
    bool write(const char *data, qint64 size) override;
    bool write(const QByteArray &bytes) override;
    qint64 bytesToWrite() const override;
    bool flush() override;
    void close() override;

private:
    void onConnected();
    void finish(Error error, const QString &reason);

    QIODevice *m_device = nullptr;
    QString m_peerName; // for error texts
    QString m_hostName; // looked up when connecting, for error texts
    QLocalSocket *m_local = nullptr;
    QTcpSocket *m_tcp = nullptr;
    bool m_finished = false;
};

} // namespace ipc
