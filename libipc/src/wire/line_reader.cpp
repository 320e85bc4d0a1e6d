#include "wire/line_reader.h"

namespace ipc::wire {

LineReader::LineReader(qsizetype maxLength)
    : m_maxLength(maxLength)
{
}

void LineReader::append(const char *data, qsizetype size)
{
    // Drop what was consumed once it is most of the buffer: lines are parsed
    // with an offset, never trimmed one by one.
    if (m_begin > 0 && m_begin >= m_buffer.size() / 2) {
        m_buffer.remove(0, m_begin);
        m_scanned -= m_begin;
        m_begin = 0;
    }
    m_buffer.append(data, size);
}

LineReader::Result LineReader::next(QByteArray *line)
{
    if (!m_error.isEmpty())
        return Result::Error;
    // Bytes already searched are not searched again: a line that trickles in
    // costs its length, not its length squared.
    const qsizetype end = m_buffer.indexOf('\n', m_scanned);
    m_scanned = end < 0 ? m_buffer.size() : end + 1;
    const qsizetype length = (end < 0 ? m_buffer.size() : end) - m_begin;
    if (length > m_maxLength) {
        m_error = QStringLiteral("line longer than the limit of %1 bytes").arg(m_maxLength);
        return Result::Error;
    }
    if (end < 0)
        return Result::NeedMore;
    *line = m_buffer.mid(m_begin, length);
    line->replace("\r", "");
    m_begin = end + 1;
    return Result::Line;
}

bool encodeLine(const QByteArray &message, QByteArray *line, QString *error)
{
    if (message.contains('\n')) {
        *error = QStringLiteral("message refused: it contains a newline, which the line wire "
                                "(one message per line) cannot carry");
        return false;
    }
    *line = message + '\n';
    return true;
}

} // namespace ipc::wire
