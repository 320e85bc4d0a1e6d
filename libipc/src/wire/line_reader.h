// MinIPC's line wire: a message is the bytes before the first LF; CR bytes
// are dropped (LuaSocket's default line pattern). Bounded by a maximum length.
#pragma once

#include <QByteArray>
#include <QString>

namespace ipc::wire {

class LineReader
{
public:
    explicit LineReader(qsizetype maxLength);
    enum class Result { NeedMore, Line, Error };

    void append(const char *data, qsizetype size);
    Result next(QByteArray *line);
    QString errorString() const { return m_error; }
    qsizetype partialLineSize() const { return m_buffer.size() - m_begin; }

private:
    QByteArray m_buffer;
    qsizetype m_begin = 0;   // where the next line starts
    qsizetype m_scanned = 0; // searched for LF up to here
    qsizetype m_maxLength;
    QString m_error;
};

// The bytes a line message travels as, or an error for one that contains a LF.
bool encodeLine(const QByteArray &message, QByteArray *line, QString *error);

} // namespace ipc::wire
