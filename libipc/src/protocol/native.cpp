#include "protocol/native.h"

#include "logging.h"
#include "wire/control.h"
#include "wire/frame_writer.h"
#include "wire/preamble.h"

#include <ipc/log.h>

#include <QCoreApplication>
#include <QtEndian>

#include <cstring>

namespace ipc::protocol {

namespace {

// Noise handshake messages here are 32 to 96 bytes.
constexpr quint32 MaxHandshakeFrame = 1024;

// A frame whose body is given whole (handshake messages).
void appendFrame(Output &out, const QByteArray &body)
{
    qToBigEndian<quint32>(quint32(body.size()), out.grow(wire::LengthSize));
    out.append(body);
}

// The application's name: its executable's unless it set one.
QString processName()
{
    if (!QCoreApplication::instance())
        return QString();
    return QCoreApplication::applicationName();
}

} // namespace

NativeAdapter::NativeAdapter(const Settings &settings, std::unique_ptr<crypto::EphemeralKey> ephemeralKey)
    : Adapter(settings)
    , m_state(settings.role == Role::Client ? State::AwaitPreamble : State::AwaitReply)
    , m_ephemeralKey(std::move(ephemeralKey))
{
}

NativeAdapter::~NativeAdapter() = default;

Event NativeAdapter::fail(Error error, const QString &reason)
{
    m_state = State::Ended;
    m_handshake.reset(); // wipes ephemeral keys and the chaining key
    m_ephemeralKey.reset();
    return Event::failed(error, reason);
}

Event NativeAdapter::failToOpen(qsizetype recordSize)
{
    return fail(Error::DecryptionFailed,
                QStringLiteral("a record failed to open (%1 bytes): it was altered, replayed, reordered or reflected")
                    .arg(recordSize));
}

Event NativeAdapter::noRoomForType(qsizetype bodySize)
{
    return fail(Error::ProtocolError,
                QStringLiteral("malformed frame: %1 bytes cannot hold a message type").arg(bodySize));
}

Event NativeAdapter::start(Output &out)
{
    if (m_settings.role == Role::Client)
        return Event::progress(); // the server speaks first
    using wire::Security;
    const Security security = m_settings.rejectAsDenied    ? Security::AccessDenied
        : m_settings.rejectAsFull                           ? Security::ServerFull
        : !m_settings.encryption                            ? Security::Plain
        : m_settings.preSharedKey.isEmpty()                 ? Security::NoiseNN
                                                            : Security::NoiseNNpsk0;
    m_prologue = wire::encodePreamble(security);
    out.append(m_prologue);
    // A plain hello depends on nothing the client says: it goes with the
    // preamble, so that the client can answer with everything at once.
    if (security == Security::Plain)
        sendHello(out);
    if (security == Security::NoiseNN || security == Security::NoiseNNpsk0) {
        // Our answer to the client's first handshake message ("e, ee") starts
        // with our ephemeral key, which depends on nothing the client says:
        // it goes with the preamble, so that the client makes its key
        // agreement while we make ours. The stream's bytes are those of the
        // answer written whole; only when they leave differs.
        if (!m_ephemeralKey && !(m_ephemeralKey = crypto::EphemeralKey::takeSpare()))
            return fail(Error::HandshakeFailed,
                        QStringLiteral("handshake failed: no ephemeral key: the random number generator or X25519 failed"));
        qToBigEndian<quint32>(quint32(crypto::KeySize + crypto::TagSize), out.grow(wire::LengthSize));
        out.append(reinterpret_cast<const char *>(m_ephemeralKey->publicKey()), crypto::KeySize);
    }
    if (m_settings.rejectAsDenied)
        return fail(Error::PermissionDenied,
                    QStringLiteral("refused: the peer is another user's process and this server accepts only its own user"));
    if (m_settings.rejectAsFull)
        return fail(Error::ServerFull, QStringLiteral("refused: the server is at its maximum number of clients"));
    return Event::progress();
}

Event NativeAdapter::next(wire::FrameReader &in, Output &out)
{
    if (m_batches)
        return nextFromBatches(in, out);
    if (Q_UNLIKELY(m_state == State::AwaitPreamble || m_state == State::AwaitReply))
        return nextUnframed(in, out);
    char *body = nullptr;
    qsizetype size = 0;
    const wire::FrameReader::Result result = in.next(&body, &size);
    if (Q_UNLIKELY(result != wire::FrameReader::Result::Frame)) {
        if (result != wire::FrameReader::Result::NeedMore)
            return fail(Error::MessageTooLarge, in.errorString());
        return Q_UNLIKELY(m_state == State::Handshake) ? readKeyAhead(in) : Event::needMore();
    }
    if (Q_UNLIKELY(m_state == State::Handshake))
        return handleHandshakeMessage(body, size, in, out);
    if (Q_UNLIKELY(m_state == State::AwaitHello)) {
        Event event = handleRecord(body, size, out);
        if (event.kind == Event::Established && m_batches)
            in.setMaxFrameSize(quint32(MaxBatchPlaintext + crypto::TagSize)); // records, not messages
        return event;
    }
    return handleRecord(body, size, out);
}

// The preamble and the reply come before any frame.
Event NativeAdapter::nextUnframed(wire::FrameReader &in, Output &out)
{
    if (m_state == State::AwaitPreamble) {
        char preamble[wire::PreambleSize];
        return in.takeRaw(preamble, wire::PreambleSize) ? handlePreamble(preamble, in, out) : Event::needMore();
    }
    char reply;
    return in.takeRaw(&reply, 1) ? handleReply(quint8(reply), in) : Event::needMore();
}

Event NativeAdapter::handlePreamble(const char *preamble, wire::FrameReader &in, Output &out)
{
    using wire::Reply;
    using wire::Security;
    m_prologue = QByteArray(preamble, wire::PreambleSize);
    const quint8 version = quint8(preamble[0]);
    const Security security = Security(quint8(preamble[1]));
    const bool havePsk = !m_settings.preSharedKey.isEmpty();

    auto refuse = [&](Reply reply, Error error, const QString &reason) {
        out.append(char(reply));
        return fail(error, reason);
    };
    if (version != wire::ProtocolVersion) {
        return refuse(Reply::VersionMismatch, Error::ProtocolMismatch,
                      version == 2 ? QStringLiteral("the server speaks golang-ipc protocol version 2, not libipc's native protocol")
                                   : wire::unknownVersionReason(preamble));
    }
    switch (security) {
    case Security::ServerFull:
        return fail(Error::ServerFull, QStringLiteral("the server is at its maximum number of clients"));
    case Security::AccessDenied:
        return fail(Error::PermissionDenied,
                    QStringLiteral("permission denied: the server accepts only its own user's processes"));
    case Security::Plain:
        if (m_settings.encryption)
            return refuse(Reply::EncryptionRequired, Error::EncryptionRequired,
                          QStringLiteral("the server offers no encryption and this client requires it"));
        if (havePsk)
            return refuse(Reply::PreSharedKeyMismatch, Error::PreSharedKeyMismatch,
                          QStringLiteral("this client has a pre-shared key but the server is plain"));
        break;
    case Security::NoiseNN:
        if (havePsk)
            return refuse(Reply::PreSharedKeyMismatch, Error::PreSharedKeyMismatch,
                          QStringLiteral("this client has a pre-shared key but the server uses none"));
        break;
    case Security::NoiseNNpsk0:
        if (!havePsk)
            return refuse(Reply::PreSharedKeyMismatch, Error::PreSharedKeyMismatch,
                          QStringLiteral("the server requires a pre-shared key and this client has none"));
        break;
    default:
        return refuse(Reply::UnknownSecurity, Error::ProtocolMismatch,
                      QStringLiteral("the server offers unknown security mode %1").arg(int(security)));
    }

    const char ok = char(Reply::Ok);
    out.append(ok);
    m_prologue.append(ok);
    if (security == Security::Plain) {
        sendHello(out);
        awaitHello(in);
        return Event::progress();
    }
    beginHandshake(in);
    QByteArray message;
    if (!m_handshake->writeMessage(QByteArray(), &message))
        return handshakeFailed();
    appendFrame(out, message);
    out.requestFlush(); // before our agreement on the server's key (readKeyAhead())
    m_state = State::Handshake;
    return Event::progress();
}

Event NativeAdapter::handleReply(quint8 reply, wire::FrameReader &in)
{
    using wire::Reply;
    if (Reply(reply) != Reply::Ok) {
        const Error error = Reply(reply) == Reply::EncryptionRequired ? Error::EncryptionRequired
            : Reply(reply) == Reply::PreSharedKeyMismatch             ? Error::PreSharedKeyMismatch
                                                                      : Error::ProtocolMismatch;
        return fail(error, QStringLiteral("the client refused the connection: %1")
                               .arg(wire::replyDescription(Reply(reply))));
    }
    m_prologue.append(char(reply));
    if (!m_settings.encryption) {
        awaitHello(in); // ours went with the preamble
        return Event::progress();
    }
    beginHandshake(in);
    m_state = State::Handshake;
    return Event::progress();
}

void NativeAdapter::beginHandshake(wire::FrameReader &in)
{
    in.setMaxFrameSize(MaxHandshakeFrame);
    const auto role = m_settings.role == Role::Client ? crypto::HandshakeState::Initiator
                                                      : crypto::HandshakeState::Responder;
    m_handshake = std::make_unique<crypto::HandshakeState>(role, m_prologue, m_settings.preSharedKey);
    if (m_ephemeralKey)
        m_handshake->setEphemeral(std::move(m_ephemeralKey));
}

// A server's ephemeral key is the one it made at the end of its last
// handshake (start()); the next one is made once its part of this handshake
// has left, while the client reads it and answers.
void NativeAdapter::prepareAhead()
{
    if (m_settings.role == Role::Server && m_encrypted && m_state == State::AwaitHello)
        crypto::EphemeralKey::makeSpare();
}

Event NativeAdapter::handshakeFailed()
{
    return fail(Error::HandshakeFailed, QStringLiteral("handshake failed: %1").arg(m_handshake->errorString()));
}

Event NativeAdapter::handleHandshakeMessage(char *body, qsizetype size, wire::FrameReader &in, Output &out)
{
    // A key read ahead (readKeyAhead()) is the frame's first KeySize bytes.
    const qsizetype skip = m_handshake->isEphemeralAhead() ? crypto::KeySize : 0;
    QByteArray payload;
    if (!m_handshake->readMessage(QByteArray::fromRawData(body + skip, size - skip), &payload)) {
        const QString cause = m_handshake->usesPsk()
            ? QStringLiteral("wrong pre-shared key or altered handshake: %1")
            : QStringLiteral("altered or malformed handshake: %1");
        return fail(Error::HandshakeFailed,
                    QStringLiteral("handshake failed: ") + cause.arg(m_handshake->errorString()));
    }
    if (!m_handshake->isFinished()) {
        // Our answer, "e, ee", whose key left with the preamble (start()).
        QByteArray key;
        QByteArray rest;
        if (!m_handshake->writeEphemeralAhead(&key) || !m_handshake->writeMessage(QByteArray(), &rest))
            return handshakeFailed();
        out.append(rest);
    }
    finishHandshake(in, out);
    return Event::progress();
}

// The server's answer comes in two parts, its key first (with the
// preamble): with the key in, our agreement runs while the server makes its
// own.
Event NativeAdapter::readKeyAhead(const wire::FrameReader &in)
{
    if (m_settings.role != Role::Client || m_handshake->isEphemeralAhead()
        || in.pendingBodyLength() < crypto::KeySize + crypto::TagSize || in.bufferedBodySize() < crypto::KeySize)
        return Event::needMore();
    if (!m_handshake->readEphemeralAhead(in.bufferedBody()))
        return fail(Error::HandshakeFailed,
                    QStringLiteral("handshake failed: altered or malformed handshake: %1").arg(m_handshake->errorString()));
    return Event::needMore();
}

void NativeAdapter::finishHandshake(wire::FrameReader &in, Output &out)
{
    m_encryption.protocol = QString::fromLatin1(m_handshake->protocolName());
    m_encryption.preSharedKeyAuthenticated = m_handshake->usesPsk();
    m_encryption.level = m_handshake->usesPsk() ? SecurityLevel::Authenticated : SecurityLevel::Encrypted;
    m_encryption.handshakeHash = m_handshake->handshakeHash();
    auto [send, receive] = m_handshake->split();
    m_sendCipher = std::move(send);
    m_receiveCipher = std::move(receive);
    m_handshake.reset(); // wipes ephemeral keys and the chaining key
    m_encrypted = true;
    qCDebug(lcCrypto) << "channel encrypted with" << m_encryption.protocol;
    sendHello(out);
    awaitHello(in);
}

void NativeAdapter::sendHello(Output &out)
{
    wire::Hello hello;
    hello.maxMessageSize = m_settings.maxMessageSize;
    hello.pid = quint64(QCoreApplication::applicationPid());
    hello.processName = processName();
    hello.libraryVersion = QString::fromLatin1(libraryVersion());
    hello.features = wire::Feature::Requests | wire::Feature::Objects;
    if (m_settings.acknowledgements) {
        hello.features |= wire::Feature::Acknowledgements;
        hello.instance = m_settings.instance;
        hello.windowMessages = m_settings.windowMessages;
        hello.windowBytes = m_settings.windowBytes;
    }
    if (m_settings.sharedMemory)
        hello.features |= wire::Feature::SharedMemory;
    if (m_encrypted && m_settings.sealedBatches)
        hello.features |= wire::Feature::SealedBatches;
    writeRecord(0, wire::encodeHello(hello), out);
}

void NativeAdapter::awaitHello(wire::FrameReader &in)
{
    m_state = State::AwaitHello;
    // Records carry at most our limit of data, the type and the AEAD tag.
    in.setMaxFrameSize(m_settings.maxMessageSize + wire::TypeSize + (m_encrypted ? crypto::TagSize : 0));
}

Event NativeAdapter::handleRecord(char *body, qsizetype size, Output &out)
{
    QByteArray largeData; // a large message decrypted straight into its own buffer
    if (m_encrypted) {
        const qsizetype dataSize = size - crypto::TagSize - wire::TypeSize;
        if (dataSize >= LargeMessage) {
            largeData = QByteArray(dataSize, Qt::Uninitialized);
            if (!m_receiveCipher.decryptWithAd(QByteArray(), body, size, body, wire::TypeSize,
                                               largeData.data()))
                return failToOpen(size);
        } else if (!m_receiveCipher.decryptWithAd(QByteArray(), body, size, body)) {
            return failToOpen(size);
        }
        size -= crypto::TagSize;
    }
    if (size < wire::TypeSize)
        return noRoomForType(size);
    const qint32 type = qint32(qFromBigEndian<quint32>(body));
    const char *data = largeData.isNull() ? body + wire::TypeSize : largeData.constData();
    return handleBody(type, data, size - wire::TypeSize, largeData, out);
}

// A body opened (or plain): `owned` holds the data when it is in a buffer of
// its own, which the application then receives without a copy (null
// otherwise: the data is copied out of `data`). Inlined: a call of its own
// cost every message a tenth of the receiver's work.
Q_ALWAYS_INLINE Event NativeAdapter::handleBody(qint32 type, const char *data, qsizetype dataSize, QByteArray &owned,
                                Output &out)
{
    if (type == 0)
        return handleControl(data, dataSize, out);
    if (type < 0)
        return fail(Error::ProtocolError,
                    QStringLiteral("malformed frame: message type %1 is not allowed on the wire").arg(type));
    if (Q_UNLIKELY(m_state != State::Established || (m_delivery.acknowledges && !m_resumeSeen)))
        return fail(Error::ProtocolError, QStringLiteral("protocol error: message type %1 arrived before the %2")
                                              .arg(type)
                                              .arg(m_state != State::Established ? QStringLiteral("hello")
                                                                                 : QStringLiteral("resume")));
    if (Q_UNLIKELY(m_detachedAnnounced)) {
        // The data is in the memory file passed with the announcement.
        m_detachedAnnounced = false;
        if (dataSize != 0)
            return fail(Error::ProtocolError,
                        QStringLiteral("protocol error: a shared-memory message with %1 bytes on the stream").arg(dataSize));
        return Event::message(type, QByteArray());
    }
    if (owned.isNull())
        owned = QByteArray(data, dataSize);
    // Payload bytes reach the log only when secret logging is on.
    qCDebug(lcWire).noquote() << "received type" << type << "with" << dataSize << "bytes:"
                              << Secret(owned);
    return Event::message(type, std::move(owned));
}

// Sealed batches: the frames of the stretches opened so far come first; a
// record is opened only when they hold no whole frame.
Event NativeAdapter::nextFromBatches(wire::FrameReader &in, Output &out)
{
    for (;;) {
        if (m_largeBody.isNull()) {
            char *body = nullptr;
            qsizetype size = 0;
            const wire::FrameReader::Result result = m_opened.next(&body, &size);
            if (result == wire::FrameReader::Result::Frame) {
                if (size < wire::TypeSize)
                    return noRoomForType(size);
                QByteArray copied; // the data is copied out of the opened bytes
                return handleBody(qint32(qFromBigEndian<quint32>(body)), body + wire::TypeSize,
                                  size - wire::TypeSize, copied, out);
            }
            if (result == wire::FrameReader::Result::Error)
                return fail(Error::MessageTooLarge, m_opened.errorString());
            takeOverLargeBody();
        }
        char *record = nullptr;
        qsizetype size = 0;
        const wire::FrameReader::Result result = in.next(&record, &size);
        if (result != wire::FrameReader::Result::Frame)
            return result == wire::FrameReader::Result::NeedMore ? Event::needMore()
                                                                 : fail(Error::ProtocolError, in.errorString());
        if (size < crypto::TagSize)
            return failToOpen(size);
        // What belongs to a large message is opened straight into its buffer,
        // the rest in place, then added to the opened frames.
        const qsizetype plain = size - crypto::TagSize;
        const qsizetype intoBody = m_largeBody.isNull() ? 0 : qMin(plain, m_largeBody.size() - m_largeBodyFilled);
        const bool opened = intoBody > 0
            ? m_receiveCipher.decryptWithAd(QByteArray(), record, size, m_largeBody.data() + m_largeBodyFilled,
                                            intoBody, record + intoBody)
            : m_receiveCipher.decryptWithAd(QByteArray(), record, size, record);
        if (!opened)
            return failToOpen(size);
        m_opened.append(record + intoBody, plain - intoBody);
        m_largeBodyFilled += intoBody;
        if (!m_largeBody.isNull() && m_largeBodyFilled == m_largeBody.size()) {
            QByteArray data = std::exchange(m_largeBody, QByteArray());
            return handleBody(m_largeBodyType, data.constData(), data.size(), data, out);
        }
    }
}

// A large message whose header and type were opened: its data goes into a
// buffer of its own (the limit was checked with the header).
void NativeAdapter::takeOverLargeBody()
{
    const qint64 length = m_opened.pendingBodyLength();
    if (length < LargeMessage + wire::TypeSize || m_opened.bufferedBodySize() < wire::TypeSize)
        return;
    const char *buffered = m_opened.bufferedBody();
    m_largeBodyType = qint32(qFromBigEndian<quint32>(buffered));
    m_largeBody = QByteArray(length - wire::TypeSize, Qt::Uninitialized);
    m_largeBodyFilled = m_opened.bufferedBodySize() - wire::TypeSize;
    std::memcpy(m_largeBody.data(), buffered + wire::TypeSize, size_t(m_largeBodyFilled));
    m_opened.discardBuffered();
}

Event NativeAdapter::handleControl(const char *data, qsizetype size, Output &out)
{
    if (size < 1)
        return fail(Error::ProtocolError, QStringLiteral("malformed control message: empty"));
    const auto kind = wire::ControlKind(quint8(data[0]));
    if (m_state == State::AwaitHello) {
        if (kind != wire::ControlKind::Hello)
            return fail(Error::ProtocolError,
                        QStringLiteral("protocol error: expected hello, got control kind %1").arg(int(kind)));
        return handleHello(data, size);
    }
    quint64 token = 0;
    switch (kind) {
    case wire::ControlKind::Hello:
        return fail(Error::ProtocolError, QStringLiteral("protocol error: a second hello"));
    case wire::ControlKind::Goodbye:
        m_state = State::Ended;
        return Event::closed(QStringLiteral("the peer closed the connection"));
    case wire::ControlKind::Ping:
        if (wire::decodeToken(data, size, &token) && !writeRecord(0, wire::encodeControl(wire::ControlKind::Pong, token), out))
            return fail(Error::ProtocolError, QStringLiteral("nonce exhausted: the connection must be re-established"));
        return Event::progress();
    case wire::ControlKind::Pong:
        // Hearing anything at all is what the heartbeat needs; a token is
        // someone's ping().
        return wire::decodeToken(data, size, &token) && token != 0 ? Event::ponged(token) : Event::progress();
    case wire::ControlKind::Ack:
        if (!m_delivery.acknowledges)
            break;
        if (!m_resumeSeen || !wire::decodeToken(data, size, &token))
            return fail(Error::ProtocolError, QStringLiteral("malformed or early acknowledgement"));
        return Event::acknowledged(token);
    case wire::ControlKind::Resume: {
        if (!m_delivery.acknowledges)
            break;
        if (m_resumeSeen || !wire::decodeResume(data, size, &m_peerResume) || m_peerResume.stream == 0
            || m_peerResume.firstSequence == 0)
            return fail(Error::ProtocolError, QStringLiteral("malformed or repeated resume message"));
        m_resumeSeen = true;
        return Event::resumed();
    }
    case wire::ControlKind::SharedMemory:
        if (!m_delivery.sharedMemory || m_detachedSize >= 0 || !wire::decodeToken(data, size, &token))
            return fail(Error::ProtocolError,
                        QStringLiteral("protocol error: an unexpected or malformed shared-memory message"));
        if (token > m_settings.maxMessageSize)
            return fail(Error::MessageTooLarge,
                        QStringLiteral("shared-memory message of %1 bytes exceeds the limit of %2 bytes")
                            .arg(token).arg(m_settings.maxMessageSize));
        m_detachedOverhead = m_encrypted ? crypto::TagSize : 0;
        m_detachedSize = qint64(token) + m_detachedOverhead;
        m_detachedAnnounced = true;
        return Event::progress();
    case wire::ControlKind::Request:
    case wire::ControlKind::Reply:
    case wire::ControlKind::ErrorReply:
    case wire::ControlKind::Object:
        if (m_correlation.isSet() || !wire::decodeCorrelation(data, size, &m_correlation))
            return fail(Error::ProtocolError, QStringLiteral("malformed or untagged request/reply control message"));
        return Event::progress();
    }
    qCDebug(lcWire) << "ignoring unknown control kind" << int(kind);
    return Event::progress();
}

Event NativeAdapter::handleHello(const char *data, qsizetype size)
{
    wire::Hello hello;
    QString error;
    if (!wire::decodeHello(data, size, &hello, &error))
        return fail(Error::ProtocolError, error);
    m_peer.pid = qint64(hello.pid);
    m_peer.processName = hello.processName;
    m_peer.libraryVersion = hello.libraryVersion;
    // The same rule as our own setting: under 1024 means the default, and
    // nothing above the cap, whatever a foreign peer announces.
    ServerConfig normalised;
    normalised.maxMessageSize = hello.maxMessageSize;
    m_peer.maxMessageSize = normalised.effectiveMaxMessageSize();
    m_delivery.acknowledges = m_settings.acknowledgements && (hello.features & wire::Feature::Acknowledgements);
    m_delivery.instance = hello.instance;
    m_delivery.windowMessages = hello.windowMessages;
    m_delivery.windowBytes = hello.windowBytes;
    m_delivery.requests = hello.features & wire::Feature::Requests;
    m_delivery.objects = hello.features & wire::Feature::Objects;
    m_delivery.sharedMemory = m_settings.sharedMemory && (hello.features & wire::Feature::SharedMemory);
    // Both directions batch from here: neither side wrote anything after its
    // hello before it had the other's.
    m_batches = m_encrypted && m_settings.sealedBatches && (hello.features & wire::Feature::SealedBatches);
    if (m_batches)
        m_opened.setMaxFrameSize(m_settings.maxMessageSize + wire::TypeSize);
    m_state = State::Established;
    return Event::established();
}

Adapter::WriteResult NativeAdapter::writeMessage(qint32 type, const QByteArray &data, Output &out)
{
    if (m_batches)
        return writeBatched(type, data, out);
    const qsizetype size = data.size();
    const int tag = m_encrypted ? crypto::TagSize : 0;
    if (size < LargeMessage) {
        // Small: built in the reused buffer and sealed in place.
        const qsizetype start = out.size();
        char *frame = out.grow(wire::LengthSize + wire::TypeSize + size + tag);
        char *body = wire::writeMessageFrame(frame, type, data.constData(), size, tag);
        if (m_encrypted && !m_sendCipher.encryptWithAd(QByteArray(), body, wire::TypeSize + size, body)) {
            out.truncate(start);
            return nonceExhausted();
        }
        return WriteResult::Written;
    }
    if (!m_encrypted) {
        // Large and plain: the header alone, then the caller's bytes, which
        // QIODevice keeps by reference instead of copying.
        char *header = out.grow(wire::LengthSize + wire::TypeSize);
        qToBigEndian<quint32>(quint32(wire::TypeSize + size), header);
        qToBigEndian<quint32>(quint32(type), header + wire::LengthSize);
        out.setBlock(data);
        return WriteResult::Written;
    }
    // Large and encrypted: sealed straight from the caller's bytes into a
    // buffer of its own, which is then written without another copy.
    const qsizetype frameSize = wire::LengthSize + wire::TypeSize + size + tag;
    QByteArray frame;
    if (m_spareFrame.isDetached() && m_spareFrame.capacity() >= frameSize)
        frame = std::move(m_spareFrame); // Qt's write buffer let go of it: reuse its pages
    frame.resize(frameSize);
    qToBigEndian<quint32>(quint32(wire::TypeSize + size + tag), frame.data());
    char typeBytes[wire::TypeSize];
    qToBigEndian<quint32>(quint32(type), typeBytes);
    if (!m_sendCipher.encryptWithAd(QByteArray(), typeBytes, wire::TypeSize, data.constData(), size,
                                    frame.data() + wire::LengthSize))
        return nonceExhausted();
    m_spareFrame = frame;
    out.setBlock(frame);
    return WriteResult::Written;
}

namespace {

// The bytes of the records that carry `plain` bytes in sealed batches.
qsizetype sealedSize(qsizetype plain)
{
    const qsizetype records = (plain + NativeAdapter::MaxBatchPlaintext - 1) / NativeAdapter::MaxBatchPlaintext;
    return plain + records * (wire::LengthSize + crypto::TagSize);
}

} // namespace

// Sealed batches: a small message joins the frames held for the burst
// (sealed when a record is full, or by seal() once the burst ends); a large
// one is sealed at once with them, straight from the caller's bytes into a
// buffer of its own.
Adapter::WriteResult NativeAdapter::writeBatched(qint32 type, const QByteArray &data, Output &out)
{
    const qsizetype size = data.size();
    if (size < LargeMessage) {
        wire::writeMessageFrame(m_unsealed.grow(wire::LengthSize + wire::TypeSize + size), type, data.constData(),
                                size);
        // Held frames go out once a record is full, unless they must wait
        // for the rest of a large message.
        if (m_unsealed.size() < MaxBatchPlaintext || m_sealsMore
            || sealHeld(m_unsealed.size() / MaxBatchPlaintext * MaxBatchPlaintext, out)) // the full records
            return WriteResult::Written;
        return nonceExhausted();
    }
    char *header = m_unsealed.grow(wire::LengthSize + wire::TypeSize + (m_sealsMore ? size : 0));
    qToBigEndian<quint32>(quint32(wire::TypeSize + size), header);
    qToBigEndian<quint32>(quint32(type), header + wire::LengthSize);
    if (m_sealsMore) {
        // Behind another large message (the engine waits for it, so this is
        // rare): held whole, it follows that message's last piece.
        std::memcpy(header + wire::LengthSize + wire::TypeSize, data.constData(), size_t(size));
        return WriteResult::Written;
    }
    m_sealing = data; // by reference, as the engine keeps it until it is confirmed
    m_sealingDone = 0;
    m_sealsMore = true;
    return sealNextPiece(out) ? WriteResult::Written : nonceExhausted();
}

// The first piece carries the frames held before the message (its header
// among them); the last, those written while it was being sealed.
bool NativeAdapter::sealNextPiece(Output &out)
{
    const bool first = m_sealingDone == 0;
    const qsizetype left = m_sealing.size() - m_sealingDone;
    const qsizetype before = first ? m_unsealed.size() : 0;
    const qsizetype take = qMin(left, PiecePlaintext - before);
    const bool last = take == left;
    const qsizetype after = last && !first ? m_unsealed.size() : 0;
    QByteArray block = spareBlock(sealedSize(before + take + after));
    const char *data = m_sealing.constData() + m_sealingDone;
    const bool sealed = first ? sealStretch(m_unsealed.data(), before, data, take, block.data())
                              : sealStretch(data, take, m_unsealed.data(), after, block.data());
    if (before > 0 || after > 0)
        m_unsealed.clear();
    m_sealingDone += take;
    if (last || !sealed) {
        m_sealing = QByteArray();
        m_sealsMore = false;
    }
    if (!sealed) {
        m_state = State::Ended;
        return false;
    }
    m_spareBlocks.append(block);
    out.setBlock(block);
    return true;
}

// A buffer for a piece: one the stream has let go of (its pages are
// already there), or a new one.
QByteArray NativeAdapter::spareBlock(qsizetype size)
{
    constexpr int Kept = 8; // more than the engine keeps in flight
    for (qsizetype i = 0; i < m_spareBlocks.size(); ++i) {
        if (m_spareBlocks.at(i).isDetached() && m_spareBlocks.at(i).capacity() >= size) {
            QByteArray block = m_spareBlocks.takeAt(i);
            block.resize(size);
            return block;
        }
    }
    if (m_spareBlocks.size() >= Kept)
        m_spareBlocks.removeFirst();
    return QByteArray(size, Qt::Uninitialized);
}

bool NativeAdapter::seal(Output &out)
{
    if (m_sealsMore)
        return true; // what is held follows the large message's last piece
    return sealHeld(m_unsealed.size(), out);
}

qint64 NativeAdapter::partialMessageBytes() const
{
    return m_largeBody.isNull() ? m_opened.available() : m_largeBodyFilled;
}

// The first `bytes` held bytes, sealed into out; the rest stays held.
bool NativeAdapter::sealHeld(qsizetype bytes, Output &out)
{
    const qsizetype start = out.size();
    if (!sealStretch(m_unsealed.data(), bytes, "", 0, out.grow(sealedSize(bytes)))) {
        out.truncate(start);
        m_unsealed.clear();
        m_state = State::Ended;
        return false;
    }
    m_unsealed.removeFront(bytes);
    return true;
}

// Seals head || rest as records of at most MaxBatchPlaintext bytes each,
// frames and all, into out (room for sealedSize() of their sizes).
bool NativeAdapter::sealStretch(const char *head, qsizetype headSize, const char *rest, qsizetype restSize,
                                char *out)
{
    while (headSize + restSize > 0) {
        const qsizetype piece = qMin(MaxBatchPlaintext, headSize + restSize);
        const qsizetype fromHead = qMin(headSize, piece);
        qToBigEndian<quint32>(quint32(piece + crypto::TagSize), out);
        if (!m_sendCipher.encryptWithAd(QByteArray(), head, fromHead, rest, piece - fromHead,
                                        out + wire::LengthSize))
            return false;
        head += fromHead;
        headSize -= fromHead;
        rest += piece - fromHead;
        restSize -= piece - fromHead;
        out += wire::LengthSize + piece + crypto::TagSize;
    }
    return true;
}

// Control messages. False when the record could not be sealed.
bool NativeAdapter::writeRecord(qint32 type, const QByteArray &data, Output &out)
{
    return writeMessage(type, data, out).kind == WriteResult::Written;
}

Adapter::WriteResult NativeAdapter::nonceExhausted()
{
    m_state = State::Ended;
    return WriteResult::broken(Error::ProtocolError,
                               QStringLiteral("nonce exhausted: the connection must be re-established"));
}

// Control records: an Ack or a Resume only where both sides acknowledge
// (the engine asks for them only then), the others while established.
bool NativeAdapter::writeControl(Output &out, const Control &control)
{
    switch (control.kind) {
    case Control::Goodbye:
        if (m_state == State::Established)
            writeRecord(0, wire::encodeControl(wire::ControlKind::Goodbye), out);
        m_state = State::Ended;
        return true;
    case Control::Ping:
        if (m_state == State::Established)
            writeRecord(0, wire::encodeControl(wire::ControlKind::Ping, control.value), out);
        return true;
    case Control::Correlation:
        return m_state == State::Established && writeRecord(0, wire::encodeCorrelation(control.tag), out);
    case Control::Ack:
        return writeRecord(0, wire::encodeControl(wire::ControlKind::Ack, control.value), out);
    case Control::Resume:
        return writeRecord(0, wire::encodeResume(control.resume), out);
    }
    return false;
}

Adapter::WriteResult NativeAdapter::writeDetachedMessage(qint32 type, const QByteArray &data, Output &out,
                                                        const DataSink &sink)
{
    if (!m_delivery.sharedMemory || m_state != State::Established)
        return WriteResult::Refused;
    if (!m_encrypted) {
        // Nothing is spent yet: a file that cannot be filled leaves the
        // message to the stream.
        if (!sink(data.constData(), data.size()))
            return WriteResult::Refused;
        writeRecord(0, wire::encodeControl(wire::ControlKind::SharedMemory, quint64(data.size())), out);
        writeRecord(type, QByteArray(), out);
        return WriteResult::Written;
    }
    // The announcement and the message record take the next two nonces and
    // the data the one after, so the receiver opens all three in order.
    if (!writeRecord(0, wire::encodeControl(wire::ControlKind::SharedMemory, quint64(data.size())), out)
        || !writeRecord(type, QByteArray(), out) || (m_batches && !seal(out)))
        return nonceExhausted();
    constexpr qsizetype Piece = 256 * 1024;
    if (!m_sendCipher.encryptInPieces(data.constData(), data.size(), Piece, sink)) {
        m_state = State::Ended;
        return WriteResult::broken(Error::SocketError,
                                   QStringLiteral("a shared-memory message could not be written: %1")
                                       .arg(QString::fromLocal8Bit(std::strerror(errno))));
    }
    return WriteResult::Written;
}

bool NativeAdapter::openDetached(char *data, qsizetype size)
{
    m_detachedSize = -1;
    return !m_encrypted || m_receiveCipher.decryptWithAd(QByteArray(), data, size, data);
}

bool NativeAdapter::pendingLargeMessage(const wire::FrameReader &in, qint32 *type, qsizetype *dataSize) const
{
    return !m_encrypted && m_state == State::Established && plainLargeMessage(in, type, dataSize);
}

Event NativeAdapter::endOfStream(const wire::FrameReader &in, Error error, const QString &reason) const
{
    // A client mid-handshake holds the start of the server's answer, whose
    // key comes ahead of the rest (start()): no truncation to report.
    const bool answerPending = m_state == State::Handshake && m_settings.role == Role::Client;
    const QString truncated = answerPending ? QString() : in.truncationError();
    if (!truncated.isEmpty())
        return Event::failed(Error::ProtocolError, truncated);
    if (m_batches && (m_opened.available() > 0 || !m_largeBody.isNull()))
        return Event::failed(Error::ProtocolError,
                             QStringLiteral("connection closed inside a frame of a sealed batch (%1 bytes of it opened)")
                                 .arg(partialMessageBytes()));
    if (m_state == State::Handshake && m_settings.role == Role::Client && !m_settings.preSharedKey.isEmpty()) {
        // A server closes mid-handshake when our key fails its check.
        return Event::failed(Error::HandshakeFailed,
                             QStringLiteral("handshake failed: the server closed the connection during the "
                                            "handshake (wrong pre-shared key?)"));
    }
    if (m_state != State::Established)
        return Event::failed(error, QStringLiteral("the peer closed the connection before the handshake completed"));
    return Event::failed(error, reason);
}

} // namespace ipc::protocol
