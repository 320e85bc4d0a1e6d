#include "line_reader.h"

namespace ipc {

LineReader::LineReader(qsizetype maxLength)
    : m_maxLength(maxLength)
{
}

void LineReader::append(const QByteArray &bytes)
{
    m_buffer.append(bytes);
}

LineReader::Result LineReader::next(QByteArray *line)
{
    if (!m_error.isEmpty())
        return Result::Error;
    const qsizetype end = m_buffer.indexOf('\n');
    if (end < 0) {
        if (m_buffer.size() > m_maxLength) {
            m_error = QStringLiteral("line longer than the limit of %1 bytes").arg(m_maxLength);
            return Result::Error;
        }
        return Result::NeedMore;
    }
    *line = m_buffer.left(end);
    line->replace("\r", "");
    m_buffer.remove(0, end + 1);
    if (line->size() > m_maxLength) {
        m_error = QStringLiteral("line longer than the limit of %1 bytes").arg(m_maxLength);
        return Result::Error;
    }
    return Result::Line;
}

bool encodeLine(const QByteArray &message, QByteArray *line, QString *error)
{
    if (message.contains('\n')) {
        *error = QStringLiteral("message refused: it contains a newline, which the line wire "
                                "(one line per connection) cannot carry");
        return false;
    }
    *line = message + '\n';
    return true;
}

} // namespace ipc
