// MinIPC's line wire: no handshake, no encryption, no types; each message is
// the bytes of one line, ended by LF (CR dropped on reading). Messages
// received are of type 1; a message containing LF cannot be sent.
#pragma once

#include "protocol/adapter.h"
#include "wire/line_reader.h"

namespace ipc::protocol {

// The type every line arrives as.
constexpr qint32 LineMessageType = 1;

class LineAdapter : public Adapter
{
public:
    explicit LineAdapter(const Settings &settings);

    Event start(Output &out) override;
    Event next(wire::FrameReader &in, Output &out) override;
    WriteResult writeMessage(qint32 type, const QByteArray &data, Output &out) override;
    Event endOfStream(const wire::FrameReader &in, Error error, const QString &reason) const override;

private:
    wire::LineReader m_lines;
};

} // namespace ipc::protocol
