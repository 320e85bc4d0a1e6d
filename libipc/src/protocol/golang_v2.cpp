#include "protocol/golang_v2.h"

#include "logging.h"
#include "wire/frame_writer.h"
#include "wire/preamble.h"

#include <QtEndian>

#include <openssl/crypto.h>

#include <cstring>

namespace ipc::protocol {

namespace {

using namespace crypto::golang_v2;

constexpr int PreambleSize = 2;
// The max-size frame: 4 bytes, sealed or not.
constexpr quint32 MaxSizeFrame = 4 + RecordOverhead;

const QString ProtocolName = QStringLiteral("golang-ipc v2: ECDH P-384 + AES-256-GCM");

void wipe(QByteArray &secret)
{
    if (!secret.isEmpty())
        OPENSSL_cleanse(secret.data(), size_t(secret.size()));
}

} // namespace

GolangV2Adapter::GolangV2Adapter(const Settings &settings)
    : Adapter(settings)
    , m_state(settings.role == Role::Client ? State::AwaitPreamble : State::AwaitReply)
{
    m_settings.protocol = Protocol::GolangIpcV2;
    m_peer.libraryVersion = QStringLiteral("golang-ipc protocol 2");
}

GolangV2Adapter::~GolangV2Adapter() = default;

Event GolangV2Adapter::fail(Error error, const QString &reason)
{
    m_keys.reset();
    return Event::failed(error, reason);
}

Event GolangV2Adapter::start(Output &out)
{
    if (m_settings.role == Role::Client)
        return Event::progress(); // the server speaks first
    if (m_settings.rejectAsFull) // v2 has no word for it: the connection just ends
        return fail(Error::ServerFull, QStringLiteral("refused: the server is at its maximum number of clients"));
    m_encrypted = m_settings.encryption;
    out.append(char(Version));
    out.append(char(m_encrypted ? 1 : 0));
    out.requestFlush();
    return Event::progress();
}

Event GolangV2Adapter::next(wire::FrameReader &in, Output &out)
{
    switch (m_state) {
    case State::AwaitPreamble: {
        char preamble[PreambleSize];
        return in.takeRaw(preamble, PreambleSize) ? onPreamble(preamble, out) : Event::needMore();
    }
    case State::AwaitReply:
    case State::AwaitSizeReply: {
        char reply;
        if (!in.takeRaw(&reply, 1))
            return Event::needMore();
        if (m_state == State::AwaitSizeReply) // golang-ipc reads it and ignores its value
            return established(in);
        return onReply(quint8(reply), out);
    }
    case State::AwaitKey: {
        QByteArray key(PublicKeySize, Qt::Uninitialized);
        return in.takeRaw(key.data(), PublicKeySize) ? onPeerKey(key, out) : Event::needMore();
    }
    case State::AwaitSizeFrame:
        in.setMaxFrameSize(MaxSizeFrame); // 4 bytes, or 32 sealed: nothing larger is waited for
        break;
    case State::Established:
        break;
    }
    char *body = nullptr;
    qsizetype size = 0;
    const wire::FrameReader::Result result = in.next(&body, &size);
    if (result == wire::FrameReader::Result::NeedMore)
        return Event::needMore();
    if (result == wire::FrameReader::Result::Error)
        return m_state == State::AwaitSizeFrame
            ? fail(Error::HandshakeFailed, QStringLiteral("handshake failed: the server's maximum message size frame: %1")
                                               .arg(in.errorString()))
            : fail(Error::MessageTooLarge, in.errorString());
    if (m_state == State::AwaitSizeFrame)
        return onSizeFrame(body, size, in, out);
    return onMessage(body, size);
}

// Client: the server's [version, encryption].
Event GolangV2Adapter::onPreamble(const char *preamble, Output &out)
{
    const quint8 version = quint8(preamble[0]);
    const quint8 encryption = quint8(preamble[1]);
    const auto refuse = [&](Reply reply, Error error, const QString &why) {
        out.append(char(reply));
        out.requestFlush();
        return fail(error, why);
    };
    if (version != Version)
        return refuse(VersionMismatch, Error::ProtocolMismatch,
                      version == 3 ? QStringLiteral("the server speaks libipc's native protocol, not golang-ipc protocol version 2")
                                   : wire::unknownVersionReason(preamble));
    if (encryption > 1)
        return refuse(VersionMismatch, Error::ProtocolMismatch,
                      QStringLiteral("the golang-ipc server offers unknown encryption mode %1").arg(encryption));
    if (encryption == 0 && m_settings.encryption)
        return refuse(EncryptionRequired, Error::EncryptionRequired,
                      QStringLiteral("the golang-ipc v2 server offers no encryption and this client requires it"));
    if (!m_settings.preSharedKey.isEmpty())
        return fail(Error::PreSharedKeyMismatch,
                    QStringLiteral("this client has a pre-shared key but the server speaks golang-ipc protocol "
                                   "version 2, which has none"));
    m_encrypted = encryption == 1;
    out.append(char(Ok));
    out.requestFlush();
    if (m_encrypted) {
        m_state = State::AwaitKey; // the server's key comes first
    } else {
        m_state = State::AwaitSizeFrame;
    }
    return Event::progress();
}

// Server: the client's answer to the preamble.
Event GolangV2Adapter::onReply(quint8 reply, Output &out)
{
    if (reply == VersionMismatch)
        return fail(Error::ProtocolMismatch, QStringLiteral("the client refused the connection: it speaks another "
                                                            "golang-ipc protocol version"));
    if (reply == EncryptionRequired)
        return fail(Error::EncryptionRequired, QStringLiteral("the client refused the connection: it requires "
                                                              "encryption and this server offers none"));
    if (reply != Ok)
        return fail(Error::ProtocolMismatch, QStringLiteral("the client refused the connection: reply code %1").arg(reply));
    if (!m_encrypted) {
        sendSizeFrame(out); // plain: cannot fail
        m_state = State::AwaitSizeReply;
        return Event::progress();
    }
    if (!sendKey(out))
        return fail(Error::HandshakeFailed, QStringLiteral("handshake failed: %1").arg(m_keys->errorString()));
    m_state = State::AwaitKey;
    return Event::progress();
}

bool GolangV2Adapter::sendKey(Output &out)
{
    m_keys = std::make_unique<KeyExchange>();
    const QByteArray key = m_keys->publicKey();
    if (key.isEmpty())
        return false;
    out.append(key);
    out.requestFlush(); // the peer reads the key with one read
    return true;
}

Event GolangV2Adapter::onPeerKey(const QByteArray &key, Output &out)
{
    if (m_settings.role == Role::Client && !sendKey(out)) // the server's key has come: ours answers it
        return fail(Error::HandshakeFailed, QStringLiteral("handshake failed: %1").arg(m_keys->errorString()));
    QByteArray shared = m_keys->agree(key);
    if (shared.isEmpty())
        return fail(Error::HandshakeFailed, QStringLiteral("handshake failed: %1").arg(m_keys->errorString()));
    m_keys.reset(); // wipes the private key
    const bool keyed = m_cipher.setKey(shared);
    wipe(shared);
    if (!keyed)
        return fail(Error::HandshakeFailed, QStringLiteral("handshake failed: AES-256-GCM could not be set up"));
    m_encryption.protocol = ProtocolName;
    m_encryption.level = SecurityLevel::Weak;
    if (m_settings.role == Role::Server) {
        if (!sendSizeFrame(out))
            return fail(Error::HandshakeFailed, QStringLiteral("handshake failed: the maximum size frame could not be sealed"));
        m_state = State::AwaitSizeReply;
    } else {
        m_state = State::AwaitSizeFrame;
    }
    return Event::progress();
}

// Server: the largest message this side accepts, as one write.
bool GolangV2Adapter::sendSizeFrame(Output &out)
{
    char size[4];
    qToBigEndian<quint32>(m_settings.maxMessageSize, size);
    const qsizetype bodySize = m_encrypted ? 4 + RecordOverhead : 4;
    char *frame = out.grow(wire::LengthSize + bodySize);
    qToBigEndian<quint32>(quint32(bodySize), frame);
    if (m_encrypted && !m_cipher.seal(size, 4, nullptr, 0, frame + wire::LengthSize)) {
        out.truncate(out.size() - wire::LengthSize - bodySize);
        return false;
    }
    if (!m_encrypted)
        std::memcpy(frame + wire::LengthSize, size, 4);
    out.requestFlush();
    return true;
}

// Client: the server's maximum, then our one-byte answer.
Event GolangV2Adapter::onSizeFrame(char *body, qsizetype size, wire::FrameReader &in, Output &out)
{
    char value[4];
    const bool ok = m_encrypted ? size == 4 + RecordOverhead && m_cipher.open(body, size, value, 4, nullptr)
                                : size == 4 && (std::memcpy(value, body, 4), true);
    if (!ok)
        return fail(Error::HandshakeFailed,
                    QStringLiteral("handshake failed: the server's maximum message size frame (%1 bytes) is malformed "
                                   "or did not decrypt")
                        .arg(size));
    // As announced (golang-ipc never announces less than 1024), within our cap.
    m_peer.maxMessageSize = qMin(qFromBigEndian<quint32>(value), MaximumMaxMessageSize);
    out.append(char(0));
    out.requestFlush();
    return established(in);
}

Event GolangV2Adapter::established(wire::FrameReader &in)
{
    // A v2 server announces no limit for what it sends and a v2 client none
    // for what it accepts: each side holds the peer to its own maximum.
    if (m_settings.role == Role::Server)
        m_peer.maxMessageSize = m_settings.maxMessageSize;
    in.setMaxFrameSize(m_settings.maxMessageSize + wire::TypeSize + (m_encrypted ? RecordOverhead : 0));
    m_state = State::Established;
    return Event::established();
}

Event GolangV2Adapter::onMessage(char *body, qsizetype size)
{
    QByteArray largeData; // a large message opened straight into its own buffer
    if (m_encrypted) {
        if (size < RecordOverhead + wire::TypeSize)
            return fail(Error::ProtocolError,
                        QStringLiteral("malformed frame: %1 bytes cannot hold a sealed message").arg(size));
        const qsizetype plainSize = size - RecordOverhead;
        char *plain = body + NonceSize; // opened in place, over the ciphertext
        if (plainSize - wire::TypeSize >= LargeMessage)
            largeData = QByteArray(plainSize - wire::TypeSize, Qt::Uninitialized);
        if (!m_cipher.open(body, size, plain, wire::TypeSize, largeData.isNull() ? plain + wire::TypeSize : largeData.data()))
            return fail(Error::DecryptionFailed,
                        QStringLiteral("a record failed to open (%1 bytes): it was altered or sealed with another key")
                            .arg(size));
        body = plain;
        size = plainSize;
    }
    if (size < wire::TypeSize)
        return fail(Error::ProtocolError,
                    QStringLiteral("malformed frame: %1 bytes cannot hold a message type").arg(size));
    const qint32 type = qint32(qFromBigEndian<quint32>(body));
    if (type == 0)
        return Event::progress(); // reserved for control messages: v2 drops it
    if (type < 0)
        return fail(Error::ProtocolError,
                    QStringLiteral("malformed frame: message type %1 is not allowed on the wire").arg(type));
    if (!largeData.isNull())
        return Event::message(type, std::move(largeData));
    return Event::message(type, QByteArray(body + wire::TypeSize, size - wire::TypeSize));
}

Adapter::WriteResult GolangV2Adapter::writeMessage(qint32 type, const QByteArray &data, Output &out)
{
    const qsizetype size = data.size();
    if (!m_encrypted) {
        if (size < LargeMessage) {
            wire::writeMessageFrame(out.grow(wire::LengthSize + wire::TypeSize + size), type, data.constData(), size);
        } else {
            char *header = out.grow(wire::LengthSize + wire::TypeSize);
            qToBigEndian<quint32>(quint32(wire::TypeSize + size), header);
            qToBigEndian<quint32>(quint32(type), header + wire::LengthSize);
            out.setBlock(data); // kept by reference
        }
        return WriteResult::Written;
    }
    char typeBytes[wire::TypeSize];
    qToBigEndian<quint32>(quint32(type), typeBytes);
    const qsizetype bodySize = RecordOverhead + wire::TypeSize + size;
    char *frame;
    QByteArray own;
    if (size < LargeMessage) {
        frame = out.grow(wire::LengthSize + bodySize);
    } else {
        if (m_spareFrame.isDetached() && m_spareFrame.capacity() >= wire::LengthSize + bodySize)
            own = std::move(m_spareFrame); // Qt's write buffer let go of it: reuse its pages
        own.resize(wire::LengthSize + bodySize);
        frame = own.data();
    }
    qToBigEndian<quint32>(quint32(bodySize), frame);
    if (!m_cipher.seal(typeBytes, wire::TypeSize, data.constData(), size, frame + wire::LengthSize)) {
        if (own.isNull())
            out.truncate(out.size() - wire::LengthSize - bodySize);
        return WriteResult::broken(Error::ProtocolError, QStringLiteral("a record could not be sealed"));
    }
    if (!own.isNull()) {
        m_spareFrame = own;
        out.setBlock(own);
    }
    return WriteResult::Written;
}

bool GolangV2Adapter::pendingLargeMessage(const wire::FrameReader &in, qint32 *type, qsizetype *dataSize) const
{
    return !m_encrypted && m_state == State::Established && plainLargeMessage(in, type, dataSize);
}

Event GolangV2Adapter::endOfStream(const wire::FrameReader &in, Error error, const QString &reason) const
{
    const QString truncated = in.truncationError();
    if (!truncated.isEmpty() && m_state == State::Established)
        return Event::failed(Error::ProtocolError, truncated);
    if (m_state != State::Established)
        return Event::failed(error, QStringLiteral("the connection ended before the golang-ipc v2 handshake "
                                                   "completed: %1")
                                        .arg(reason));
    // v2 has no goodbye: closing between two frames is how a peer leaves.
    if (error == Error::ConnectionLost)
        return Event::closed(reason);
    return Event::failed(error, reason);
}

} // namespace ipc::protocol
