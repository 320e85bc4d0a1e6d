// MinIPC's line wire: a message is the bytes before the first LF; CR bytes
// are dropped (LuaSocket's default line pattern). Bounded by a maximum length.
#pragma once

#include <QByteArray>
#include <QString>

namespace ipc {

class LineReader
{
public:
    explicit LineReader(qsizetype maxLength);
    enum class Result { NeedMore, Line, Error };

    void append(const QByteArray &bytes);
    Result next(QByteArray *line);
    QString errorString() const { return m_error; }
    bool hasPartialLine() const { return !m_buffer.isEmpty(); }

private:
    QByteArray m_buffer;
    qsizetype m_maxLength;
    QString m_error;
};

// The bytes a line message travels as, or an error for one that contains a LF.
bool encodeLine(const QByteArray &message, QByteArray *line, QString *error);

} // namespace ipc
