// golang-ipc protocol version 2 (../reference: preamble and reply, P-384 key
// exchange, AES-256-GCM records with random nonces, the max-size frame),
// spoken byte for byte so that golang-ipc and node-ipc-client programs can be
// libipc's peers. Unlike golang-ipc it checks every length against a limit
// before allocating, refuses a point off the curve or a short frame with an
// error for that connection only, and does not depend on each handshake
// record arriving in one read. It writes each handshake record as one write
// of its own, since the real implementations do depend on that.
// v2 has no acknowledgements, no authentication and no replay protection.
#pragma once

#include "crypto/golang_v2.h"
#include "protocol/adapter.h"

#include <memory>

namespace ipc::protocol {

class GolangV2Adapter : public Adapter
{
public:
    static constexpr quint8 Version = 2;
    // The client's answer to the preamble (reference, section 1).
    enum Reply : quint8 { Ok = 0, VersionMismatch = 1, EncryptionRequired = 2 };

    explicit GolangV2Adapter(const Settings &settings);
    ~GolangV2Adapter() override;

    Event start(Output &out) override;
    Event next(wire::FrameReader &in, Output &out) override;
    WriteResult writeMessage(qint32 type, const QByteArray &data, Output &out) override;
    Event endOfStream(const wire::FrameReader &in, Error error, const QString &reason) const override;
    bool pendingLargeMessage(const wire::FrameReader &in, qint32 *type, qsizetype *dataSize) const override;

private:
    enum class State { AwaitPreamble, AwaitReply, AwaitKey, AwaitSizeFrame, AwaitSizeReply, Established };

    Event onPreamble(const char *preamble, Output &out);
    Event onReply(quint8 reply, Output &out);
    Event onPeerKey(const QByteArray &key, Output &out);
    Event onSizeFrame(char *body, qsizetype size, wire::FrameReader &in, Output &out);
    Event onMessage(char *body, qsizetype size);
    bool sendKey(Output &out);
    bool sendSizeFrame(Output &out);
    Event established(wire::FrameReader &in);
    Event fail(Error error, const QString &reason);

    State m_state;
    bool m_encrypted = false;
    std::unique_ptr<crypto::golang_v2::KeyExchange> m_keys;
    crypto::golang_v2::RecordCipher m_cipher;
    QByteArray m_spareFrame; // the last large sealed frame, reused once written
};

} // namespace ipc::protocol
