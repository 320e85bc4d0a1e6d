// Splits a byte stream into length-prefixed frames: 4-byte big-endian length,
// then that many bytes of body. Pure: bytes in, frames or a clear error out.
#pragma once

#include <QByteArray>
#include <QString>
#include <QtEndian>

namespace ipc::wire {

class FrameReader
{
public:
    static constexpr int HeaderSize = 4;
    enum class Result { NeedMore, Frame, Error };

    explicit FrameReader(quint32 maxFrameSize = 1024);

    // The largest body accepted; checked as soon as a header is complete,
    // before any room is made for the body.
    void setMaxFrameSize(quint32 maxFrameSize);
    quint32 maxFrameSize() const { return m_maxFrameSize; }

    // Room for n more bytes read straight from a socket; commit what arrived.
    char *reserve(qsizetype n);
    void commit(qsizetype n);
    void append(const char *data, qsizetype n);

    qsizetype available() const { return m_end - m_begin; }
    // Unframed bytes (the preamble): copies n bytes out when that many arrived.
    bool takeRaw(char *out, qsizetype n);
    // The same without consuming them.
    bool peek(char *out, qsizetype n) const;

    // The next complete frame. body points into the reader's buffer, is
    // writable (for decryption in place) and stays valid until the next
    // reserve() or append().
    Result next(char **body, qsizetype *size)
    {
        // Inline for the common case, a whole frame within the limit.
        if (available() >= HeaderSize && m_error.isEmpty()) {
            const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_begin);
            if (length <= m_maxFrameSize && available() >= HeaderSize + qsizetype(length)) {
                *body = m_buffer.data() + m_begin + HeaderSize;
                *size = length;
                m_begin += HeaderSize + qsizetype(length);
                return Result::Frame;
            }
        }
        return nextSlow(body, size);
    }
    QString errorString() const { return m_error; }

    // At end of stream: what a partial frame left behind, or empty.
    QString truncationError() const;

    // A frame whose header has arrived but not all of its body: its body
    // length, else -1. With bufferedBody(), lets a caller take the body over
    // and read the rest of it straight from the socket.
    qint64 pendingBodyLength() const;
    const char *bufferedBody() const { return m_buffer.constData() + m_begin + HeaderSize; }
    qsizetype bufferedBodySize() const { return available() - HeaderSize; }
    void discardBuffered() { m_begin = m_end; }

private:
    Result nextSlow(char **body, qsizetype *size);

    QByteArray m_buffer;
    qsizetype m_begin = 0;
    qsizetype m_end = 0;
    quint32 m_maxFrameSize;
    QString m_error;
};

} // namespace ipc::wire
