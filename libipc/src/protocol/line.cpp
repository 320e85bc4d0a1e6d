#include "protocol/line.h"

namespace ipc::protocol {

LineAdapter::LineAdapter(const Settings &settings)
    : Adapter(settings)
    , m_lines(settings.maxMessageSize)
{
    // Nothing is negotiated: the peer is held to this side's own limit.
    m_peer.maxMessageSize = settings.maxMessageSize;
}

Event LineAdapter::start(Output &)
{
    if (m_settings.rejectAsFull)
        return Event::failed(Error::ServerFull,
                             QStringLiteral("refused: the server is at its maximum number of clients"));
    return Event::established();
}

Event LineAdapter::next(wire::FrameReader &in, Output &)
{
    QByteArray line;
    switch (m_lines.next(&line)) {
    case wire::LineReader::Result::Line:
        return Event::message(LineMessageType, std::move(line));
    case wire::LineReader::Result::Error:
        return Event::failed(Error::MessageTooLarge, m_lines.errorString());
    case wire::LineReader::Result::NeedMore:
        break;
    }
    const qsizetype available = in.available();
    if (available == 0)
        return Event::needMore();
    QByteArray chunk(available, Qt::Uninitialized);
    in.takeRaw(chunk.data(), available);
    m_lines.append(chunk.constData(), available);
    return Event::progress();
}

Adapter::WriteResult LineAdapter::writeMessage(qint32, const QByteArray &data, Output &out)
{
    QByteArray line;
    QString reason;
    if (!wire::encodeLine(data, &line, &reason))
        return WriteResult::refused(Error::ProtocolError, reason);
    if (line.size() < 4096)
        out.append(line);
    else
        out.setBlock(line); // kept by reference, not copied again
    return WriteResult::Written;
}

Event LineAdapter::endOfStream(const wire::FrameReader &, Error error, const QString &reason) const
{
    // Closing after its line is how a MinIPC peer ends; a partial line, or a
    // failure of the transport itself, is not.
    if (error != Error::ConnectionLost)
        return Event::failed(error, reason);
    if (m_lines.partialLineSize() > 0)
        return Event::failed(Error::ProtocolError,
                             QStringLiteral("the peer closed the connection inside a line (%1 bytes without a newline)")
                                 .arg(m_lines.partialLineSize()));
    return Event::closed(QStringLiteral("the peer closed the connection"));
}

} // namespace ipc::protocol
