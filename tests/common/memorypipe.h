// Two in-memory QIODevices joined back to back: what one end writes, the
// other reads, with readyRead() and, once the writer closes,
// readChannelFinished() delivered from the event loop as a socket would.
// Lets a Session run without any socket.
#pragma once

#include <QIODevice>
#include <QPointer>

#include <cstring>
#include <utility>

class MemoryEnd : public QIODevice
{
public:
    MemoryEnd() { open(QIODevice::ReadWrite | QIODevice::Unbuffered); }

    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override { return m_incoming.size() + QIODevice::bytesAvailable(); }
    void close() override
    {
        if (m_peer) {
            m_peer->m_peer = nullptr;
            QMetaObject::invokeMethod(m_peer, [peer = m_peer] { if (peer) Q_EMIT peer->readChannelFinished(); },
                                      Qt::QueuedConnection);
        }
        QIODevice::close();
    }

    static std::pair<MemoryEnd *, MemoryEnd *> pair()
    {
        auto *a = new MemoryEnd;
        auto *b = new MemoryEnd;
        a->m_peer = b;
        b->m_peer = a;
        return {a, b};
    }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 n = qMin<qint64>(maxSize, m_incoming.size());
        std::memcpy(data, m_incoming.constData(), size_t(n));
        m_incoming.remove(0, n);
        return n;
    }
    qint64 writeData(const char *data, qint64 size) override
    {
        if (!m_peer)
            return -1;
        m_peer->m_incoming.append(data, size);
        QMetaObject::invokeMethod(m_peer, [peer = m_peer] { if (peer) Q_EMIT peer->readyRead(); },
                                  Qt::QueuedConnection);
        return size;
    }

private:
    QPointer<MemoryEnd> m_peer;
    QByteArray m_incoming;
};
