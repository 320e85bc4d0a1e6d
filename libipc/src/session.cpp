#include "session.h"

#include "logging.h"
#include "transport/stream.h"
#include "wire/control.h"
#include "wire/frame_writer.h"
#include "wire/preamble.h"

#include <ipc/config.h>
#include <ipc/log.h>

#include <QCoreApplication>
#include <QFileInfo>
#include <QIODevice>
#include <QPointer>
#include <QtEndian>

#include <cstring>

namespace ipc {

namespace {

// Noise handshake messages here are 32 to 96 bytes.
constexpr quint32 MaxHandshakeFrame = 1024;
// From this size on, message data is not copied into a frame buffer: Qt's
// write buffer holds large QByteArrays by reference (its chunk size is 4 KiB).
constexpr qsizetype LargeMessage = 4096;

QString processName()
{
    if (!QCoreApplication::instance())
        return QString();
    return QFileInfo(QCoreApplication::applicationFilePath()).fileName();
}

} // namespace

Session::Session(Stream *stream, const Options &options, QObject *parent)
    : QObject(parent)
    , m_stream(stream)
    , m_options(options)
    , m_state(options.role == Role::Client ? State::AwaitPreamble : State::AwaitReply)
    , m_reader(MaxHandshakeFrame)
{
    m_stream->setParent(this);
    connect(m_stream, &Stream::readyRead, this, &Session::onReadyRead);
    connect(m_stream, &Stream::closed, this, &Session::onStreamClosed);

    // Parented so that moveToThread() takes the timers along.
    m_handshakeTimer.setParent(this);
    m_heartbeatTimer.setParent(this);
    m_handshakeTimer.setSingleShot(true);
    connect(&m_handshakeTimer, &QTimer::timeout, this, [this] {
        finish(Error::HandshakeTimeout,
              QStringLiteral("no handshake completed within %1 ms").arg(m_options.handshakeTimeout.count()));
    });
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &Session::onHeartbeat);
}

Session::~Session() = default;

void Session::start()
{
    if (m_options.handshakeTimeout.count() > 0)
        m_handshakeTimer.start(m_options.handshakeTimeout);
    if (m_options.role == Role::Server) {
        using wire::Security;
        const Security security = m_options.rejectAsFull ? Security::ServerFull
            : !m_options.encryption                      ? Security::Plain
            : m_options.preSharedKey.isEmpty()           ? Security::NoiseNN
                                                         : Security::NoiseNNpsk0;
        m_preamble = wire::encodePreamble(security);
        m_stream->write(m_preamble);
        if (m_options.rejectAsFull) {
            finish(Error::ServerFull, QStringLiteral("refused: the server is at its maximum number of clients"));
            return;
        }
    }
    onReadyRead(); // bytes may have arrived before the session existed
}

void Session::onReadyRead()
{
    QPointer<Session> alive(this);
    while (alive && m_state != State::Finished) {
        if (m_largeBody) {
            if (!readLargeBody())
                return;
            continue; // delivery may have closed or deleted us: check again
        }
        QIODevice *device = m_stream->device();
        const qint64 available = device->bytesAvailable();
        if (available <= 0)
            return;
        const qint64 got = device->read(m_reader.reserve(available), available);
        if (got <= 0)
            return;
        m_reader.commit(got);
        m_heardSinceTick = true;
        if (!processInput() || !takeOverLargeBody())
            return;
    }
}

// Plain, established, and large: the rest of this frame's body goes straight
// into the QByteArray the application receives. Returns whether to go on.
bool Session::takeOverLargeBody()
{
    const qint64 length = m_reader.pendingBodyLength();
    if (m_encrypted || m_state != State::Established || length - wire::TypeSize < LargeMessage
        || m_reader.bufferedBodySize() < wire::TypeSize)
        return false;
    const qint32 type = qint32(qFromBigEndian<quint32>(m_reader.bufferedBody()));
    if (type <= 0)
        return false; // the ordinary path reports it once the frame is whole
    LargeBody body;
    body.type = type;
    body.data = QByteArray(length - wire::TypeSize, Qt::Uninitialized);
    body.filled = m_reader.bufferedBodySize() - wire::TypeSize;
    std::memcpy(body.data.data(), m_reader.bufferedBody() + wire::TypeSize, size_t(body.filled));
    m_reader.discardBuffered();
    m_largeBody = std::move(body);
    return true;
}

// Returns true once the body is complete and delivered (reading goes on).
bool Session::readLargeBody()
{
    QIODevice *device = m_stream->device();
    LargeBody &body = *m_largeBody;
    const qint64 wanted = body.data.size() - body.filled;
    const qint64 got = device->read(body.data.data() + body.filled, wanted);
    if (got > 0) {
        body.filled += got;
        m_heardSinceTick = true;
    }
    if (body.filled < body.data.size())
        return false;
    const LargeBody complete = std::move(*m_largeBody);
    m_largeBody.reset();
    if (onMessage)
        onMessage(complete.type, complete.data);
    return true;
}

// Returns false once the session has finished (the caller must stop).
bool Session::processInput()
{
    QPointer<Session> alive(this);
    while (alive && m_state != State::Finished) {
        if (m_state == State::AwaitPreamble) {
            char preamble[wire::PreambleSize];
            if (!m_reader.takeRaw(preamble, wire::PreambleSize))
                return true;
            if (!handlePreamble(preamble))
                return false;
            continue;
        }
        if (m_state == State::AwaitReply) {
            char reply;
            if (!m_reader.takeRaw(&reply, 1))
                return true;
            if (!handleReply(quint8(reply)))
                return false;
            continue;
        }
        char *body = nullptr;
        qsizetype size = 0;
        switch (m_reader.next(&body, &size)) {
        case wire::FrameReader::Result::NeedMore:
            return true;
        case wire::FrameReader::Result::Error:
            finish(Error::MessageTooLarge, m_reader.errorString());
            return false;
        case wire::FrameReader::Result::Frame:
            if (m_state == State::Handshake ? !handleHandshakeMessage(body, size)
                                            : !handleRecord(body, size))
                return false;
            break;
        }
    }
    return false;
}

bool Session::handlePreamble(const char *preamble)
{
    using wire::Reply;
    using wire::Security;
    m_preamble = QByteArray(preamble, wire::PreambleSize);
    const quint8 version = quint8(preamble[0]);
    const Security security = Security(quint8(preamble[1]));
    const bool havePsk = !m_options.preSharedKey.isEmpty();

    auto refuse = [this](Reply reply, Error error, const QString &reason) {
        m_stream->write(QByteArray(1, char(reply)));
        finish(error, reason);
        return false;
    };
    if (version != wire::ProtocolVersion) {
        return refuse(Reply::VersionMismatch, Error::ProtocolMismatch,
                      version == 2 ? QStringLiteral("the server speaks golang-ipc protocol version 2, not libipc's native protocol")
                                   : QStringLiteral("the server speaks unknown protocol version %1").arg(version));
    }
    switch (security) {
    case Security::ServerFull:
        finish(Error::ServerFull, QStringLiteral("the server is at its maximum number of clients"));
        return false;
    case Security::Plain:
        if (m_options.encryption)
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
    m_stream->write(QByteArray(1, ok));
    m_preamble.append(ok);
    if (security == Security::Plain) {
        sendHello();
        m_state = State::AwaitHello;
        return true;
    }
    beginHandshake(m_preamble);
    QByteArray message;
    if (!m_handshake->writeMessage(QByteArray(), &message)) {
        finish(Error::HandshakeFailed, QStringLiteral("handshake failed: %1").arg(m_handshake->errorString()));
        return false;
    }
    sendHandshakeMessage(message);
    m_state = State::Handshake;
    return true;
}

bool Session::handleReply(quint8 reply)
{
    using wire::Reply;
    if (Reply(reply) != Reply::Ok) {
        const Error error = Reply(reply) == Reply::EncryptionRequired ? Error::EncryptionRequired
            : Reply(reply) == Reply::PreSharedKeyMismatch             ? Error::PreSharedKeyMismatch
                                                                      : Error::ProtocolMismatch;
        finish(error, QStringLiteral("the client refused the connection: %1")
                          .arg(wire::replyDescription(Reply(reply))));
        return false;
    }
    m_preamble.append(char(reply));
    if (!m_options.encryption) {
        sendHello();
        m_state = State::AwaitHello;
        return true;
    }
    beginHandshake(m_preamble);
    m_state = State::Handshake;
    return true;
}

void Session::beginHandshake(const QByteArray &prologue)
{
    const auto role = m_options.role == Role::Client ? crypto::HandshakeState::Initiator
                                                     : crypto::HandshakeState::Responder;
    m_handshake = std::make_unique<crypto::HandshakeState>(role, prologue, m_options.preSharedKey);
}

bool Session::handleHandshakeMessage(char *body, qsizetype size)
{
    QByteArray payload;
    if (!m_handshake->readMessage(QByteArray::fromRawData(body, size), &payload)) {
        const QString cause = m_handshake->usesPsk()
            ? QStringLiteral("wrong pre-shared key or altered handshake: %1")
            : QStringLiteral("altered or malformed handshake: %1");
        finish(Error::HandshakeFailed,
               QStringLiteral("handshake failed: ") + cause.arg(m_handshake->errorString()));
        return false;
    }
    if (!m_handshake->isFinished()) {
        QByteArray message;
        if (!m_handshake->writeMessage(QByteArray(), &message)) {
            finish(Error::HandshakeFailed, QStringLiteral("handshake failed: %1").arg(m_handshake->errorString()));
            return false;
        }
        sendHandshakeMessage(message);
    }
    if (m_handshake->isFinished())
        finishHandshake();
    return true;
}

void Session::finishHandshake()
{
    m_encryption.protocol = QString::fromLatin1(m_handshake->protocolName());
    m_encryption.preSharedKeyAuthenticated = m_handshake->usesPsk();
    m_encryption.handshakeHash = m_handshake->handshakeHash();
    auto [send, receive] = m_handshake->split();
    m_sendCipher = std::move(send);
    m_receiveCipher = std::move(receive);
    m_handshake.reset(); // wipes ephemeral keys and the chaining key
    m_encrypted = true;
    qCDebug(lcCrypto) << "channel encrypted with" << m_encryption.protocol;
    sendHello();
    m_state = State::AwaitHello;
}

void Session::sendHello()
{
    wire::Hello hello;
    hello.maxMessageSize = m_options.maxMessageSize;
    hello.pid = quint64(QCoreApplication::applicationPid());
    hello.processName = processName();
    hello.libraryVersion = QString::fromLatin1(libraryVersion());
    sendRecord(0, wire::encodeHello(hello));
    // Records carry at most our limit of data, the type and the AEAD tag.
    m_reader.setMaxFrameSize(m_options.maxMessageSize + wire::TypeSize
                             + (m_encrypted ? crypto::TagSize : 0));
}

void Session::sendHandshakeMessage(const QByteArray &message)
{
    m_out.resize(0);
    wire::appendFrame(m_out, message);
    m_stream->write(m_out);
}

bool Session::handleRecord(char *body, qsizetype size)
{
    static const QString altered = QStringLiteral(
        "a record failed to open (%1 bytes): it was altered, replayed, reordered or reflected");
    QByteArray largeData; // a large message decrypted straight into its own buffer
    if (m_encrypted) {
        const qsizetype dataSize = size - crypto::TagSize - wire::TypeSize;
        if (dataSize >= LargeMessage) {
            largeData = QByteArray(dataSize, Qt::Uninitialized);
            if (!m_receiveCipher.decryptWithAd(QByteArray(), body, size, body, wire::TypeSize,
                                               largeData.data())) {
                finish(Error::DecryptionFailed, altered.arg(size));
                return false;
            }
        } else if (!m_receiveCipher.decryptWithAd(QByteArray(), body, size, body)) {
            finish(Error::DecryptionFailed, altered.arg(size));
            return false;
        }
        size -= crypto::TagSize;
    }
    if (size < wire::TypeSize) {
        finish(Error::ProtocolError,
               QStringLiteral("malformed frame: %1 bytes cannot hold a message type").arg(size));
        return false;
    }
    const qint32 type = qint32(qFromBigEndian<quint32>(body));
    const char *data = body + wire::TypeSize;
    const qsizetype dataSize = size - wire::TypeSize;
    if (type == 0)
        return handleControl(largeData.isNull() ? data : largeData.constData(), dataSize);
    if (type < 0) {
        finish(Error::ProtocolError,
               QStringLiteral("malformed frame: message type %1 is not allowed on the wire").arg(type));
        return false;
    }
    if (m_state != State::Established) {
        finish(Error::ProtocolError,
               QStringLiteral("protocol error: message type %1 arrived before the hello").arg(type));
        return false;
    }
    if (largeData.isNull())
        largeData = QByteArray(data, dataSize);
    // Payload bytes reach the log only when secret logging is on.
    qCDebug(lcWire).noquote() << "received type" << type << "with" << dataSize << "bytes:"
                              << Secret(largeData);
    if (onMessage)
        onMessage(type, largeData);
    return true;
}

bool Session::handleControl(const char *data, qsizetype size)
{
    if (size < 1) {
        finish(Error::ProtocolError, QStringLiteral("malformed control message: empty"));
        return false;
    }
    const auto kind = wire::ControlKind(quint8(data[0]));
    if (m_state == State::AwaitHello) {
        if (kind != wire::ControlKind::Hello) {
            finish(Error::ProtocolError,
                   QStringLiteral("protocol error: expected hello, got control kind %1").arg(int(kind)));
            return false;
        }
        return handleHello(data, size);
    }
    quint64 token = 0;
    switch (kind) {
    case wire::ControlKind::Hello:
        finish(Error::ProtocolError, QStringLiteral("protocol error: a second hello"));
        return false;
    case wire::ControlKind::Goodbye:
        finish(Error::NoError, QStringLiteral("the peer closed the connection"));
        return false;
    case wire::ControlKind::Ping:
        if (wire::decodeToken(data, size, &token)) {
            sendRecord(0, wire::encodeControl(wire::ControlKind::Pong, token));
        }
        return true;
    case wire::ControlKind::Pong:
        m_pingOutstanding = false;
        return true;
    }
    qCDebug(lcWire) << "ignoring unknown control kind" << int(kind);
    return true;
}

bool Session::handleHello(const char *data, qsizetype size)
{
    wire::Hello hello;
    QString error;
    if (!wire::decodeHello(data, size, &hello, &error)) {
        finish(Error::ProtocolError, error);
        return false;
    }
    m_peer.pid = qint64(hello.pid);
    m_peer.processName = hello.processName;
    m_peer.libraryVersion = hello.libraryVersion;
    // The same rule as our own setting: under 1024 means the default, and
    // nothing above the cap, whatever a foreign peer announces.
    ServerConfig normalised;
    normalised.maxMessageSize = hello.maxMessageSize;
    m_peer.maxMessageSize = normalised.effectiveMaxMessageSize();
    m_state = State::Established;
    m_handshakeTimer.stop();
    if (m_options.heartbeatInterval.count() > 0)
        m_heartbeatTimer.start(m_options.heartbeatInterval);
    QPointer<Session> alive(this);
    Q_EMIT established();
    return alive && m_state == State::Established;
}

bool Session::send(qint32 type, const QByteArray &data, Error *error, QString *reason)
{
    if (m_state != State::Established) {
        *error = Error::NotConnected;
        *reason = QStringLiteral("write refused: not connected");
        return false;
    }
    if (quint64(data.size()) > m_peer.maxMessageSize) {
        *error = Error::MessageTooLarge;
        *reason = QStringLiteral("write refused: %1 bytes exceed the peer's maximum message size of %2 bytes")
                      .arg(data.size()).arg(m_peer.maxMessageSize);
        return false;
    }
    if (!sendRecord(type, data)) {
        *error = Error::ConnectionLost;
        *reason = QStringLiteral("write refused: the connection has ended");
        return false;
    }
    return true;
}

bool Session::sendRecord(qint32 type, const QByteArray &data)
{
    const qsizetype size = data.size();
    const int tag = m_encrypted ? crypto::TagSize : 0;
    if (size < LargeMessage) {
        // Small: one frame built in a reused buffer, one write.
        m_out.resize(0);
        const qsizetype body = wire::appendMessageFrame(m_out, type, data.constData(), size, tag);
        char *p = m_out.data() + body;
        if (m_encrypted && !m_sendCipher.encryptWithAd(QByteArray(), p, wire::TypeSize + size, p))
            return nonceExhausted();
        return m_stream->write(m_out);
    }
    if (!m_encrypted) {
        // Large and plain: the header alone, then the caller's bytes, which
        // QIODevice keeps by reference instead of copying.
        m_out.resize(0);
        wire::appendMessageFrame(m_out, type, nullptr, 0, 0);
        qToBigEndian<quint32>(quint32(wire::TypeSize + size), m_out.data());
        return m_stream->write(m_out) && m_stream->write(data);
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
    return m_stream->write(frame);
}

bool Session::nonceExhausted()
{
    finish(Error::ProtocolError, QStringLiteral("nonce exhausted: the connection must be re-established"));
    return false;
}

void Session::onHeartbeat()
{
    if (m_heardSinceTick) {
        m_heardSinceTick = false;
        m_pingOutstanding = false;
        return;
    }
    if (m_pingOutstanding) {
        finish(Error::ConnectionLost,
               QStringLiteral("the peer stopped answering: no data for %1 ms")
                   .arg(2 * m_options.heartbeatInterval.count()));
        return;
    }
    m_pingOutstanding = true;
    sendRecord(0, wire::encodeControl(wire::ControlKind::Ping, 0));
}

void Session::onStreamClosed(Error error, const QString &reason)
{
    QPointer<Session> alive(this);
    onReadyRead(); // a peer's last frames (a goodbye) may still be buffered
    if (!alive || m_state == State::Finished)
        return;
    const QString truncated = m_largeBody
        ? QStringLiteral("connection closed inside a frame (%1 of %2 bytes)")
              .arg(m_largeBody->filled + wire::TypeSize)
              .arg(m_largeBody->data.size() + wire::TypeSize)
        : m_reader.truncationError();
    if (!truncated.isEmpty()) {
        finish(Error::ProtocolError, truncated);
    } else if (m_state == State::Handshake && m_options.role == Role::Client
               && !m_options.preSharedKey.isEmpty()) {
        // A server closes mid-handshake when our key fails its check.
        finish(Error::HandshakeFailed,
               QStringLiteral("handshake failed: the server closed the connection during the "
                              "handshake (wrong pre-shared key?)"));
    } else if (m_state != State::Established) {
        finish(error, QStringLiteral("the peer closed the connection before the handshake completed"));
    } else {
        finish(error, reason);
    }
}

void Session::close()
{
    if (m_state == State::Finished)
        return;
    if (m_state == State::Established) {
        sendRecord(0, wire::encodeControl(wire::ControlKind::Goodbye));
    }
    finish(Error::NoError, QStringLiteral("closed"));
}

void Session::finish(Error error, const QString &reason)
{
    if (m_state == State::Finished)
        return;
    m_state = State::Finished;
    m_largeBody.reset();
    m_handshakeTimer.stop();
    m_heartbeatTimer.stop();
    m_handshake.reset();
    m_sendCipher = crypto::CipherState();
    m_receiveCipher = crypto::CipherState();
    m_stream->close();
    if (error != Error::NoError)
        qCDebug(lcWire).noquote() << "connection ended:" << reason;
    Q_EMIT finished(error, reason);
}

} // namespace ipc
