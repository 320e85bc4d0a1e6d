#include "session.h"

#include "logging.h"
#include "session_observer.h"
#include "transport/stream.h"
#include "wire/frame_writer.h"

#include <QIODevice>
#include <QPointer>

#include <cstring>

namespace ipc {

Session::Session(Stream *stream, const Options &options, QObject *parent)
    : QObject(parent)
    , m_stream(stream)
    , m_options(options)
    , m_adapter(protocol::createAdapter(options.adapter))
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
    if (m_options.observer)
        m_options.observer->connectionOpened(m_options.id, m_options.adapter.role, m_stream->peerName());
    if (m_options.handshakeTimeout.count() > 0)
        m_handshakeTimer.start(m_options.handshakeTimeout);
    QPointer<Session> alive(this);
    if (m_adapter) {
        protocol::Event event = m_adapter->start(m_output);
        flushOutput();
        if (!handle(event, alive))
            return;
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

// Feeds the adapter until it needs more. False once the session has
// finished (the caller must stop).
bool Session::processInput()
{
    const QPointer<Session> alive(this); // once per read, not per message
    while (m_state != State::Finished) {
        if (!m_adapter && !pickAdapter(alive))
            return alive && m_state != State::Finished;
        protocol::Event event = m_adapter->next(m_reader, m_output);
        if (!m_output.isEmpty())
            flushOutput(); // a stream that broke reports it through closed()
        if (event.kind == protocol::Event::Message) { // the hot path, handled here
            deliver(event.type, event.data);
            if (!alive || m_state == State::Finished)
                return false;
            continue;
        }
        if (event.kind == protocol::Event::NeedMore)
            return true;
        if (!handle(event, alive))
            return false;
    }
    return false;
}

// A client learns its wire from the server's first byte.
bool Session::pickAdapter(const QPointer<Session> &alive)
{
    char first;
    if (!m_reader.peek(&first, 1))
        return false;
    m_adapter = protocol::adapterForGreeting(quint8(first), m_options.adapter);
    protocol::Event event = m_adapter->start(m_output);
    flushOutput();
    return handle(event, alive);
}

// Acts on one adapter event; false when the session finished or was deleted.
bool Session::handle(protocol::Event &event, const QPointer<Session> &alive)
{
    switch (event.kind) {
    case protocol::Event::NeedMore:
    case protocol::Event::Progress:
        return true;
    case protocol::Event::Message:
        deliver(event.type, event.data);
        return alive && m_state != State::Finished;
    case protocol::Event::Established:
        m_state = State::Established;
        m_peer = m_adapter->peer();
        m_encryption = m_adapter->encryption();
        m_handshakeTimer.stop();
        if (m_options.heartbeatInterval.count() > 0)
            m_heartbeatTimer.start(m_options.heartbeatInterval);
        if (m_options.observer)
            m_options.observer->connectionEstablished(m_options.id, m_adapter->settings().protocol, m_peer,
                                                      m_encryption);
        Q_EMIT established();
        return alive && m_state == State::Established;
    case protocol::Event::Closed:
    case protocol::Event::Failed:
        finish(event.error, event.reason);
        return false;
    }
    return false;
}

void Session::notifyReceived(qint32 type, qsizetype size)
{
    m_options.observer->messageReceived(m_options.id, type, size);
}

// When the adapter says the frame now arriving is a large plain message, the
// rest of its body goes straight into the QByteArray the application
// receives. Returns whether to go on reading.
bool Session::takeOverLargeBody()
{
    qint32 type = 0;
    qsizetype dataSize = 0;
    if (!m_adapter || !m_adapter->pendingLargeMessage(m_reader, &type, &dataSize))
        return true;
    LargeBody body;
    body.type = type;
    body.data = QByteArray(dataSize, Qt::Uninitialized);
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
    deliver(complete.type, complete.data);
    return true;
}

bool Session::flushOutput()
{
    bool ok = true;
    if (m_output.size() > 0) {
        ok = m_stream->write(m_output.data(), m_output.size());
        m_output.clear(); // keeps the buffer for the next frame
    }
    QByteArray &block = m_output.block();
    if (!block.isNull()) {
        ok = m_stream->write(block) && ok;
        block = QByteArray();
    }
    if (m_output.flushRequested()) {
        m_output.clearFlush();
        m_stream->flush();
    }
    return ok;
}

bool Session::send(qint32 type, const QByteArray &data, Error *error, QString *reason)
{
    if (Q_UNLIKELY(m_state != State::Established || quint64(data.size()) > m_peer.maxMessageSize))
        return refuse(data.size(), error, reason);
    using Result = protocol::Adapter::WriteResult;
    const Result result = m_adapter->writeMessage(type, data, m_output, error, reason);
    if (Q_UNLIKELY(result != Result::Written))
        return writeFailed(result, error, reason);
    // A small frame alone is the common case: one write, no other checks.
    bool written;
    if (Q_LIKELY(m_output.hasOnlyBytes())) {
        written = m_stream->write(m_output.data(), m_output.size());
        m_output.clear();
    } else {
        written = flushOutput();
    }
    if (Q_UNLIKELY(!written)) {
        *error = Error::ConnectionLost;
        *reason = QStringLiteral("write refused: the connection has ended");
        return false;
    }
    if (m_options.observer)
        m_options.observer->messageSent(m_options.id, type, data.size());
    return true;
}

// The cold paths of send(), kept out of its way.
bool Session::refuse(qsizetype size, Error *error, QString *reason)
{
    if (m_state != State::Established) {
        *error = Error::NotConnected;
        *reason = QStringLiteral("write refused: not connected");
    } else {
        *error = Error::MessageTooLarge;
        *reason = QStringLiteral("write refused: %1 bytes exceed the peer's maximum message size of %2 bytes")
                      .arg(size).arg(m_peer.maxMessageSize);
    }
    if (m_options.observer)
        m_options.observer->errorOccurred(m_options.id, *error, *reason);
    return false;
}

bool Session::writeFailed(protocol::Adapter::WriteResult result, Error *error, QString *reason)
{
    if (result == protocol::Adapter::WriteResult::Broken) {
        finish(*error, *reason);
    } else if (m_options.observer) {
        m_options.observer->errorOccurred(m_options.id, *error, *reason);
    }
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
    // A wire without a ping (the line wire) cannot tell silence from death.
    if (!m_adapter->writePing(m_output))
        return;
    m_pingOutstanding = true;
    flushOutput();
}

void Session::onStreamClosed(Error error, const QString &reason)
{
    QPointer<Session> alive(this);
    onReadyRead(); // a peer's last frames (a goodbye) may still be buffered
    if (!alive || m_state == State::Finished)
        return;
    if (m_largeBody) {
        finish(Error::ProtocolError, QStringLiteral("connection closed inside a frame (%1 of %2 bytes)")
                                         .arg(m_largeBody->filled + wire::TypeSize)
                                         .arg(m_largeBody->data.size() + wire::TypeSize));
        return;
    }
    if (!m_adapter) {
        finish(error, QStringLiteral("the peer closed the connection before the handshake completed"));
        return;
    }
    const protocol::Event end = m_adapter->endOfStream(m_reader, error, reason);
    finish(end.error, end.reason);
}

void Session::close()
{
    if (m_state == State::Finished)
        return;
    if (m_adapter) {
        m_adapter->writeGoodbye(m_output);
        flushOutput();
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
    m_adapter.reset(); // wipes the connection's keys
    m_stream->close();
    if (error != Error::NoError)
        qCDebug(lcWire).noquote() << "connection ended:" << reason;
    if (m_options.observer)
        m_options.observer->connectionFinished(m_options.id, error, reason);
    Q_EMIT finished(error, reason);
}

} // namespace ipc
