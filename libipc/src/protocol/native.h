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
    bool seal(Output &out) override;
    bool sealNextPiece(Output &out) override;
    qint64 partialMessageBytes() const override;

    // With sealed batches, a record's plaintext is at most this long, so that
    // the record keeps within Noise's 65,535 bytes.
    static constexpr qsizetype MaxBatchPlaintext = 65535 - 16;
    // A large message is sealed in pieces of four full records: the peer
    // opens one while this side seals the next.
    static constexpr qsizetype PiecePlaintext = 4 * MaxBatchPlaintext;

private:
    enum class State { AwaitPreamble, AwaitReply, Handshake, AwaitHello, Established, Ended };

    Event nextUnframed(wire::FrameReader &in, Output &out);
    Event handlePreamble(const char *preamble, wire::FrameReader &in, Output &out);
    Event handleReply(quint8 reply, wire::FrameReader &in);
    Event handleHandshakeMessage(char *body, qsizetype size, wire::FrameReader &in, Output &out);
    Event readKeyAhead(const wire::FrameReader &in);
    Event handshakeFailed();
    Event handleRecord(char *body, qsizetype size, Output &out);
    Event nextFromBatches(wire::FrameReader &in, Output &out);
    void takeOverLargeBody();
    Event handleBody(qint32 type, const char *data, qsizetype dataSize, QByteArray &owned, Output &out);
    Event handleControl(const char *data, qsizetype size, Output &out);
    Event handleHello(const char *data, qsizetype size);
    void beginHandshake(wire::FrameReader &in);
    void finishHandshake(wire::FrameReader &in, Output &out);
    void sendHello(Output &out);
    void awaitHello(wire::FrameReader &in);
    bool writeRecord(qint32 type, const QByteArray &data, Output &out);
    WriteResult writeBatched(qint32 type, const QByteArray &data, Output &out);
    bool sealHeld(qsizetype bytes, Output &out);
    QByteArray spareBlock(qsizetype size);
    bool sealStretch(const char *head, qsizetype headSize, const char *rest, qsizetype restSize, char *out);
    WriteResult nonceExhausted();
    Event fail(Error error, const QString &reason);
    Event failToOpen(qsizetype recordSize);
    Event noRoomForType(qsizetype bodySize);

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
    // Sealed batches (both hellos offered them, m_batches): each record
    // carries the next stretch of a plain frame stream, whatever its
    // message boundaries.
    QByteArray m_sealing; // a large message's data, sealed a piece at a time
    qsizetype m_sealingDone = 0;
    QList<QByteArray> m_spareBlocks; // pieces the stream let go of, for the next ones
    wire::FrameReader m_opened; // the frames opened from the peer's records
    QByteArray m_largeBody;     // a large message's data, opened straight into it
    qsizetype m_largeBodyFilled = 0;
    qint32 m_largeBodyType = 0;
};

} // namespace ipc::protocol
