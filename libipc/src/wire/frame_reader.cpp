#include "frame_reader.h"

#include <QtEndian>

#include <cstring>

namespace ipc::wire {

FrameReader::FrameReader(quint32 maxFrameSize)
    : m_maxFrameSize(maxFrameSize)
{
}

void FrameReader::setMaxFrameSize(quint32 maxFrameSize)
{
    m_maxFrameSize = maxFrameSize;
}

char *FrameReader::reserve(qsizetype n)
{
    if (m_begin == m_end)
        m_begin = m_end = 0;
    if (m_buffer.size() - m_end < n) {
        // Slide the unread tail to the front once instead of trimming per frame.
        if (m_begin > 0) {
            std::memmove(m_buffer.data(), m_buffer.constData() + m_begin, size_t(m_end - m_begin));
            m_end -= m_begin;
            m_begin = 0;
        }
        if (m_buffer.size() - m_end < n)
            m_buffer.resize(qMax(m_end + n, qMin(m_buffer.size() * 2, m_end + n + (qsizetype(1) << 20))));
    }
    return m_buffer.data() + m_end;
}

void FrameReader::commit(qsizetype n)
{
    m_end += n;
}

void FrameReader::append(const char *data, qsizetype n)
{
    std::memcpy(reserve(n), data, size_t(n));
    commit(n);
}

bool FrameReader::takeRaw(char *out, qsizetype n)
{
    if (available() < n)
        return false;
    std::memcpy(out, m_buffer.constData() + m_begin, size_t(n));
    m_begin += n;
    return true;
}

bool FrameReader::peek(char *out, qsizetype n) const
{
    if (available() < n)
        return false;
    std::memcpy(out, m_buffer.constData() + m_begin, size_t(n));
    return true;
}

FrameReader::Result FrameReader::nextSlow(char **body, qsizetype *size)
{
    if (!m_error.isEmpty())
        return Result::Error;
    if (available() < HeaderSize)
        return Result::NeedMore;
    const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_begin);
    if (length > m_maxFrameSize) {
        m_error = QStringLiteral("frame of %1 bytes exceeds the limit of %2 bytes")
                      .arg(length).arg(m_maxFrameSize);
        return Result::Error;
    }
    if (available() < HeaderSize + qsizetype(length)) {
        // Room for the whole frame now, while little of it has arrived: the
        // tail slides to the front once, instead of a large partial frame later.
        if (m_buffer.size() - m_begin < HeaderSize + qsizetype(length) && m_begin > 0) {
            std::memmove(m_buffer.data(), m_buffer.constData() + m_begin, size_t(available()));
            m_end -= m_begin;
            m_begin = 0;
        }
        if (m_buffer.size() < HeaderSize + qsizetype(length))
            m_buffer.resize(HeaderSize + qsizetype(length)); // the length is within the limit
        return Result::NeedMore;
    }
    *body = m_buffer.data() + m_begin + HeaderSize;
    *size = length;
    m_begin += HeaderSize + qsizetype(length);
    return Result::Frame;
}

qint64 FrameReader::pendingBodyLength() const
{
    if (!m_error.isEmpty() || available() < HeaderSize)
        return -1;
    const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_begin);
    return available() < HeaderSize + qsizetype(length) && length <= m_maxFrameSize ? qint64(length) : -1;
}

QString FrameReader::truncationError() const
{
    if (available() == 0)
        return QString();
    if (available() < HeaderSize)
        return QStringLiteral("connection closed inside a frame header (%1 of 4 bytes)").arg(available());
    const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + m_begin);
    return QStringLiteral("connection closed inside a frame (%1 of %2 bytes)")
        .arg(available() - HeaderSize).arg(length);
}

} // namespace ipc::wire
