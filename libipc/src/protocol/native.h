// libipc's native protocol (docs/PROTOCOL.md): preamble and reply, the Noise
// handshake when encrypted, the hello exchange, then framed records with
// control messages of type 0.
#pragma once

#include "crypto/noise.h"
#include "protocol/adapter.h"

#include <memory>

namespace ipc::protocol {

class NativeAdapter : public Adapter
{
public:
    // `ephemeralKey`: this side's handshake key, when it was made ahead.
    explicit NativeAdapter(const Settings &settings, std::unique_ptr<crypto::EphemeralKey> ephemeralKey = nullptr);
    ~NativeAdapter() override;

    Event start(Output &out) override;
    Event next(wire::FrameReader &in, Output &out) override;
    WriteResult writeMessage(qint32 type, const QByteArray &data, Output &out) override;
    Event endOfStream(const wire::FrameReader &in, Error error, const QString &reason) const override;
    void prepareAhead() override;
    bool writeControl(Output &out, const Control &control) override;
    bool pendingLargeMessage(const wire::FrameReader &in, qint32 *type, qsizetype *dataSize) const override;
    WriteResult writeDetachedMessage(qint32 type, const QByteArray &data, Output &out, const DataSink &sink) override;
    bool openDetached(char *data, qsizetype size) override;

private:
    enum class State { AwaitPreamble, AwaitReply, Handshake, AwaitHello, Established, Ended };

    Event nextUnframed(wire::FrameReader &in, Output &out);
    Event handlePreamble(const char *preamble, wire::FrameReader &in, Output &out);
    Event handleReply(quint8 reply, wire::FrameReader &in);
    Event handleHandshakeMessage(char *body, qsizetype size, wire::FrameReader &in, Output &out);
    Event handleRecord(char *body, qsizetype size, Output &out);
    Event handleControl(const char *data, qsizetype size, Output &out);
    Event handleHello(const char *data, qsizetype size);
    void beginHandshake(wire::FrameReader &in);
    void finishHandshake(wire::FrameReader &in, Output &out);
    void sendHello(Output &out);
    void awaitHello(wire::FrameReader &in);
    bool writeRecord(qint32 type, const QByteArray &data, Output &out);
    WriteResult nonceExhausted();
    Event fail(Error error, const QString &reason);

    State m_state;
    QByteArray m_prologue; // server preamble + client reply
    std::unique_ptr<crypto::HandshakeState> m_handshake;
    std::unique_ptr<crypto::EphemeralKey> m_ephemeralKey; // made ahead, until the handshake starts
    crypto::CipherState m_sendCipher;
    crypto::CipherState m_receiveCipher;
    bool m_encrypted = false;
    bool m_resumeSeen = false; // with acknowledgements, the peer's Resume precedes its messages
    QByteArray m_spareFrame; // the last large sealed frame, reused once written
    bool m_detachedAnnounced = false; // the next user record's data is in a memory file
};

} // namespace ipc::protocol
