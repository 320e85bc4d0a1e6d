#include "session.h"

#include "crypto/noise.h"
#include "delivery.h"
#include "logging.h"
#include "session_observer.h"
#include "transport/memory_file.h"
#include "transport/stream.h"
#include "wire/frame_writer.h"

#include <QPointer>
#include <QTimerEvent>

#include <cstring>
#include <utility>

namespace ipc {

namespace {

// An acknowledgement goes out at the end of a read burst once enough has
// been delivered to matter to the sender's window, else at most this long
// after the first unacknowledged delivery.
constexpr std::chrono::milliseconds AckDelay { 2 };

// From this size on, a message's data travels in a memory file when both
// sides can pass one: mapping it beats copying it twice through the socket.
constexpr qsizetype LargestOnStream = 4 << 20;

// The adapter offers message data in memory files when the stream can pass
// them, and sealed batches unless IPC_SEALED_BATCHES=0 asks for one record
// per message (to compare, or to rule them out when something goes wrong).
Session::Options withStreamAbilities(Session::Options options, const Stream *stream)
{
    options.adapter.sharedMemory = stream->canPassDescriptors();
    options.adapter.sealedBatches = !qEnvironmentVariableIsSet("IPC_SEALED_BATCHES")
        || qEnvironmentVariableIntValue("IPC_SEALED_BATCHES") != 0;
    return options;
}

} // namespace

Session::Session(Stream *stream, const Options &options, QObject *parent)
    : QObject(parent)
    , m_stream(stream)
    , m_options(withStreamAbilities(options, stream))
    , m_maker(m_options.adapter)
    , m_adapter(m_maker.makeAtStart())
{
    m_stream->setParent(this);
    connect(m_stream, &Stream::readyRead, this, &Session::onReadyRead);
    connect(m_stream, &Stream::closed, this, &Session::onStreamClosed);
    connect(m_stream, &Stream::bytesWritten, this, &Session::bytesWritten);
    connect(m_stream, &Stream::bytesWritten, this, [this] {
        if (m_adapter && m_adapter->sealsMore())
            sealMore();
    });
    // A burst's held frames are sealed as the stream sends (see sealSoon()).
    m_stream->setBeforeSend([this] {
        if (m_state != State::Finished && m_adapter && m_adapter->hasUnsealed())
            flushOutput();
    });

    // Parented so that moveToThread() takes the timers along.
    m_handshakeTimer.setParent(this);
    m_heartbeatTimer.setParent(this);
    m_ackTimer.setParent(this);
    m_messageTimer.setParent(this);
    m_messageTimer.setSingleShot(true);
    connect(&m_messageTimer, &QTimer::timeout, this, &Session::onMessageTimeout);
    m_ackTimer.setSingleShot(true);
    connect(&m_ackTimer, &QTimer::timeout, this, &Session::sendAck);
    m_handshakeTimer.setSingleShot(true);
    connect(&m_handshakeTimer, &QTimer::timeout, this, [this] {
        finish(Error::HandshakeTimeout,
            QStringLiteral("no handshake completed within %1 ms")
                .arg(m_options.handshakeTimeout.count()));
    });
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &Session::onHeartbeat);
}

Session::~Session()
{
    m_stream->setBeforeSend(nullptr); // the stream, our child, goes after our members
}

void Session::start()
{
    if (m_options.observer) {
        ConnectionFacts facts;
        facts.id = m_options.id;
        facts.endpoint = m_options.endpoint;
        facts.role = m_options.adapter.role;
        facts.peerAddress = m_stream->peerName();
        const PeerCredentials credentials = m_stream->peerCredentials();
        facts.peerPid = credentials.pid;
        facts.peerUid = credentials.uid;
        m_observed = m_options.observer->connectionOpened(facts);
    }
    if (m_options.handshakeTimeout.count() > 0)
        m_handshakeTimer.start(m_options.handshakeTimeout);
    QPointer<Session> alive(this);
    if (m_adapter) {
        protocol::Event event = m_adapter->start(m_output);
        flushOutput();
        m_stream->flush(); // the peer waits for the greeting
        if (!handle(event, alive))
            return;
    }
    prepareAhead();
    onReadyRead(); // bytes may have arrived before the session existed
}

// What the handshake will need (an encrypted one's ephemeral key) is made
// here, overlapping the peer's work instead of adding to the connection's
// time: a client's while the server accepts the connection; a server's for
// its next connection once its part of this handshake has left.
void Session::prepareAhead()
{
    if (m_adapter)
        m_adapter->prepareAhead();
    else
        m_maker.prepareAhead(); // the adapter comes with the server's first byte
}

void Session::onReadyRead()
{
    const QPointer<Session> alive(this);
    readAvailable(alive);
    if (alive)
        watchPartialMessage();
    // The handshake's bytes leave at the end of the read that made them,
    // all in one write, not on the event loop's next turn: the peer waits.
    if (alive && std::exchange(m_handshakeWritten, false) && m_state != State::Finished) {
        m_stream->flush(); // a failing flush may end the session here
        if (alive && m_state != State::Finished)
            prepareAhead(); // while the peer reads what just left
    }
}

void Session::readAvailable(const QPointer<Session> &alive)
{
    while (alive && m_state != State::Finished) {
        if (m_largeBody) {
            if (!readLargeBody())
                return;
            // Delivery may have closed or deleted us: check before acking.
            if (alive && m_state != State::Finished && m_acknowledging && m_ledger->ackPending())
                acknowledgeSoon();
            continue;
        }
        const qint64 available = m_stream->bytesAvailable();
        if (available <= 0)
            return;
        const qint64 got = m_stream->read(m_reader.reserve(available), available);
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
        m_framesIn += event.kind != protocol::Event::NeedMore;
        if (!m_output.isEmpty()) {
            m_handshakeWritten |= m_state == State::Handshake;
            flushOutput(); // a stream that broke reports it through closed()
        } else if (m_adapter->hasUnsealed()) {
            sealSoon(); // a pong, with whatever else this turn writes
        }
        if (event.kind == protocol::Event::Message) { // the hot path, handled here
            deliver(event.type, event.data);
            if (!alive || m_state == State::Finished)
                return false;
            continue;
        }
        if (event.kind == protocol::Event::NeedMore) {
            if (m_acknowledging && m_ledger->ackPending())
                acknowledgeSoon();
            return true;
        }
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
    m_adapter = m_maker.makeForGreeting(quint8(first));
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
            m_options.observer->connectionEstablished(
                m_observed, m_adapter->settings().protocol, m_peer, m_encryption);
        if (m_options.attachLedger && (m_ledger = m_options.attachLedger(this)))
            startDelivery();
        m_handshakeWritten = true; // the resume, with the hello when it was in this read
        if (!alive || m_state != State::Established)
            return false;
        if (m_options.observer && m_ledger) {
            reportDelivery();
            m_deliveryTimer = startTimer(SessionObserver::DeliveryInterval);
        }
        Q_EMIT established();
        return alive && m_state == State::Established;
    case protocol::Event::Acknowledged:
        return onAcknowledged(event.delivered, alive);
    case protocol::Event::Ponged:
        Q_EMIT pongReceived(event.token);
        return alive && m_state == State::Established;
    case protocol::Event::Resumed: {
        const wire::Resume &resume = m_adapter->peerResume();
        m_ledger->resumeIncoming(resume.stream, resume.firstSequence);
        // What the peer delivered of ours counts only if it speaks of our stream.
        if (resume.peerStream != m_ledger->stream())
            return true;
        if (m_resentAtStart >= 0) { // once per connection
            m_ledger->resumed(std::exchange(m_resentAtStart, -1));
            m_resumed = true;
        }
        return onAcknowledged(resume.delivered, alive);
    }
    case protocol::Event::Closed:
    case protocol::Event::Failed:
        finish(event.error, event.reason);
        return false;
    }
    return false;
}

void Session::notifyReceived(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    m_options.observer->messageReceived(m_observed, type, data, tag);
}

// The connection is ready: say where both directions stand, re-send what
// the peer has not confirmed, then the queue.
void Session::startDelivery()
{
    const protocol::PeerDelivery &peer = m_adapter->delivery();
    m_acknowledging = peer.acknowledges;
    DeliveryLedger &ledger = *m_ledger;
    if (m_acknowledging) {
        if (peer.windowMessages > 0)
            m_ackEveryMessages = qMax<quint64>(1, peer.windowMessages / 4);
        if (peer.windowBytes > 0)
            m_ackEveryBytes = qMax<qint64>(1, peer.windowBytes / 4);
    }
    // Sequence numbers count messages, so the window is re-sent whole or not
    // at all: a peer that now takes smaller messages (a new server with
    // another configuration) gets none of it, and all of it is reported.
    qint64 largest = 0;
    for (const DeliveryLedger::Pending &message : ledger.window())
        largest = qMax<qint64>(largest, message.data.size());
    if (largest > qint64(m_peer.maxMessageSize)) {
        const int dropped = ledger.dropWindow();
        Q_EMIT messagesRefused(dropped, Error::MessageTooLarge,
            QStringLiteral("%1 unconfirmed message(s) not re-sent: one of %2 bytes exceeds the "
                           "new peer's maximum message size of %3 bytes")
                .arg(dropped)
                .arg(largest)
                .arg(m_peer.maxMessageSize));
        if (m_state != State::Established)
            return;
    }
    ledger.setAcknowledging(m_acknowledging);
    m_resentAtStart = qsizetype(ledger.window().size()); // re-sent below: a resumption once the peer's Resume says so
    if (m_acknowledging) {
        wire::Resume resume;
        resume.stream = ledger.stream();
        resume.firstSequence = ledger.firstUnacknowledged();
        resume.peerStream = ledger.peerStream();
        resume.delivered = ledger.delivered();
        m_adapter->writeControl(m_output, protocol::Control::resumeAt(resume));
        ledger.ackSent(); // the resume says what was delivered
    }
    if (!m_acknowledging) {
        // Nothing confirms delivery, so the socket's own buffer is the
        // window: the queue moves on as the system takes the bytes.
        connect(m_stream, &Stream::bytesWritten, this, &Session::moveQueueOn);
        // The last connection acknowledged and this one cannot: what it left
        // unconfirmed goes out first, as any queued message.
        ledger.requeueWindow();
        sendQueued();
        return;
    }
    // The window again, from its first message: the peer skips what it
    // already delivered.
    const std::deque<DeliveryLedger::Pending> resend = ledger.window();
    for (const DeliveryLedger::Pending &message : resend) {
        const Result result = writeOne(message.type, message.data, message.tag);
        if (!result.ok()) {
            // Broken: the window waits for the next connection. Refused (a
            // tag this peer cannot take): the numbering would go wrong, so
            // the connection ends with the reason.
            if (m_state == State::Established)
                finish(result.error, result.reason);
            return;
        }
    }
    flushOutput();
    sendQueued();
}

bool Session::onAcknowledged(quint64 delivered, const QPointer<Session> &alive)
{
    qsizetype ofApplication = 0;
    const qsizetype confirmed = m_ledger->acknowledge(delivered, &ofApplication);
    if (confirmed < 0) {
        finish(Error::ProtocolError,
            QStringLiteral("protocol error: the peer acknowledged %1 messages, more than were "
                           "sent")
                .arg(delivered));
        return false;
    }
    if (confirmed == 0)
        return true;
    sendQueued();
    if (!alive || m_state != State::Established)
        return false;
    Q_EMIT acknowledged(int(ofApplication)); // may be 0: remote-object traffic only
    return alive && m_state == State::Established;
}

void Session::acknowledgeSoon()
{
    if (m_ledger->unackedToPeer() >= m_ackEveryMessages
        || m_ledger->bytesSinceAck() >= m_ackEveryBytes)
        sendAck();
    else if (!m_ackTimer.isActive())
        m_ackTimer.start(AckDelay);
}

// Without acknowledgements: the system took bytes, so the queue moves on.
void Session::moveQueueOn()
{
    if (m_state != State::Established || m_ledger->queue().empty() || !hasRoom())
        return;
    sendQueued();
    if (m_state == State::Established)
        Q_EMIT queueDrained();
}

// A large message sealed a piece at a time: a piece is sealed while the
// stream holds less than SealAhead bytes, so that the peer opens one while
// this side seals the next, and what waits here stays bounded. The rest
// comes as the stream takes bytes (bytesWritten, from the event loop: the
// stream is not flushed here, where a write may be on the stack).
void Session::sealMore()
{
    constexpr qint64 SealAhead = 1 << 20;
    while (m_state == State::Established && m_adapter->sealsMore()
        && m_stream->bytesToWrite() < SealAhead && sealPiece()) { }
}

// The rest of a large message, sealed now (what was written meanwhile
// follows its last piece).
void Session::finishSealing()
{
    while (m_adapter->sealsMore() && sealPiece()) { }
}

// The next piece of a large message, to the stream; false once the session
// has finished.
bool Session::sealPiece()
{
    if (!m_adapter->sealNextPiece(m_output)) {
        finish(Error::ProtocolError,
            QStringLiteral("nonce exhausted: the connection must be re-established"));
        return false;
    }
    flushOutput();
    return true;
}

// The burst of writes this turn of the event loop makes is sealed as one
// batch when the turn ends, and leaves at once: in the stream's own send
// where it has one (the hook set in the constructor), else in a turn of ours.
void Session::sealSoon()
{
    if (m_sealScheduled || m_stream->requestSend())
        return;
    m_sealScheduled = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_sealScheduled = false;
            // Written, not flushed: the socket sends on its own turn, as
            // for any write (a flush here met a peer's goodbye with a write
            // error before reading it).
            if (m_state != State::Finished && m_adapter && m_adapter->hasUnsealed())
                flushOutput();
        },
        Qt::QueuedConnection);
}

void Session::sendAck()
{
    if (m_state != State::Established || !m_acknowledging || !m_ledger->ackPending())
        return;
    m_adapter->writeControl(m_output, protocol::Control::ack(m_ledger->delivered()));
    m_ledger->ackSent();
    flushOutput();
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
    body.data = m_bodies.take(dataSize);
    body.filled = m_reader.bufferedBodySize() - wire::TypeSize;
    std::memcpy(body.data.data(), m_reader.bufferedBody() + wire::TypeSize, size_t(body.filled));
    m_reader.discardBuffered();
    m_largeBody = std::move(body);
    return true;
}

// Returns true once the body is complete and delivered (reading goes on).
bool Session::readLargeBody()
{
    LargeBody &body = *m_largeBody;
    const qint64 wanted = body.data.size() - body.filled;
    const qint64 got = m_stream->read(body.data.data() + body.filled, wanted);
    if (got > 0) {
        body.filled += got;
        m_heardSinceTick = true;
    }
    if (body.filled < body.data.size())
        return false;
    const LargeBody complete = std::move(*m_largeBody);
    m_largeBody.reset();
    ++m_framesIn;
    // Kept (shared) through the delivery: if the application lets go of
    // it, the next large body reuses its pages.
    m_bodies.keep(complete.data);
    deliver(complete.type, complete.data);
    return true;
}

bool Session::flushOutput()
{
    bool ok = true;
    if (m_adapter && m_adapter->hasUnsealed())
        ok = m_adapter->seal(m_output); // what was held goes first
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

Result Session::send(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    Result result = sendUnrecorded(type, data, tag);
    if (result.ok() && m_acknowledging)
        m_ledger->written(type, data, tag); // by reference: held until the peer confirms it
    return result;
}

// send() without putting the message in the window (the caller does).
Result Session::sendUnrecorded(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (Q_UNLIKELY(m_state != State::Established || quint64(data.size()) > m_peer.maxMessageSize))
        return refuse(data.size());
    if (m_acknowledging && m_ledger->ackPending()) {
        // Piggybacked: a reply confirms the request it answers in the same write.
        m_adapter->writeControl(m_output, protocol::Control::ack(m_ledger->delivered()));
        m_ledger->ackSent();
    }
    return writeOne(type, data, tag);
}

// The tag goes right before its message, in the same write.
Result Session::writeTag(const wire::Correlation &tag)
{
    if (tag.kind == wire::Correlation::Object) {
        if (m_adapter->delivery().objects
            && m_adapter->writeControl(m_output, protocol::Control::correlation(tag)))
            return {};
        return Result::failure(Error::ProtocolMismatch,
            QStringLiteral("remote objects refused: the peer's wire or library cannot carry them "
                           "(golang-ipc v2, the line wire and libipc versions before remote objects cannot)"));
    }
    const bool isRequest = tag.kind == wire::Correlation::Request;
    if ((isRequest && !m_adapter->delivery().requests)
        || !m_adapter->writeControl(m_output, protocol::Control::correlation(tag)))
        return Result::failure(Error::ProtocolMismatch,
            QStringLiteral(
                "%1 refused: the peer's wire or library cannot carry requests and replies "
                "(golang-ipc v2, the line wire and libipc versions without requests cannot)")
                .arg(isRequest ? QStringLiteral("request") : QStringLiteral("reply")));
    return {};
}

bool Session::socketHasRoom() const
{
    return m_stream->bytesToWrite() < m_ledger->limits().windowBytes;
}

void Session::sendQueued()
{
    if (!m_ledger)
        return;
    // A failed send finishes the session, whose owner deletes it later, not
    // here: `this` outlives the loop, and only the signal after it can run
    // user code.
    const std::deque<DeliveryLedger::Pending> &queue = m_ledger->queue();
    int refused = 0;
    Error refusalError = Error::NoError;
    QString refusal;
    while (m_state == State::Established && !queue.empty() && hasRoom()) {
        // Taken off the queue only once sent: a connection that breaks here
        // leaves it for the next one.
        const DeliveryLedger::Pending &message = queue.front();
        Result result = sendUnrecorded(message.type, message.data, message.tag);
        if (result.ok()) {
            m_ledger->sentFromQueue(); // into the window when acknowledging, without a copy
            continue;
        }
        if (m_state != State::Established)
            break;
        m_ledger->queueFrontUndeliverable(); // this one cannot travel to this peer
        ++refused;
        refusalError = result.error;
        refusal = std::move(result.reason);
    }
    if (refused > 0)
        Q_EMIT messagesRefused(refused, refusalError, refusal);
}

// Encodes and writes one message, without the window.
Result Session::writeOne(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    using Written = protocol::Adapter::WriteResult;
    if (Q_UNLIKELY(tag.isSet())) {
        Result tagged = writeTag(tag);
        if (!tagged.ok())
            return tagged;
    }
    // Sealed batches pipeline a very large message on the stream instead.
    if (Q_UNLIKELY(data.size() >= LargestOnStream) && m_adapter->delivery().sharedMemory
        && (m_encryption.level == SecurityLevel::Plain
                ? transport::MemoryFile::beatsTheStreamForPlainData()
                : !m_adapter->sealsInBatches())) {
        const Written shared = writeShared(type, data);
        if (shared.kind == Written::Broken)
            return writeFailed(shared);
        if (shared.kind == Written::Written) {
            if (m_options.observer)
                m_options.observer->messageSent(m_observed, type, data, tag);
            return {};
        }
    }
    if (Q_UNLIKELY(m_adapter->sealsMore()) && data.size() >= protocol::LargeMessage)
        finishSealing(); // one large message in pieces at a time
    const Written result = m_adapter->writeMessage(type, data, m_output);
    if (Q_UNLIKELY(result.kind != Written::Written))
        return writeFailed(result);
    // A small frame alone is the common case: one write, no other checks.
    bool written;
    if (m_output.isEmpty()) {
        written = true; // held for a sealed batch
        sealSoon();
    } else if (Q_UNLIKELY(m_adapter->sealsMore())) {
        written = flushOutput(); // the first piece of a large message
        sealMore();
    } else if (Q_LIKELY(m_output.hasOnlyBytes())) {
        written = m_stream->write(m_output.data(), m_output.size());
        m_output.clear();
    } else {
        written = flushOutput();
    }
    if (Q_UNLIKELY(!written))
        return Result::failure(
            Error::ConnectionLost, QStringLiteral("write refused: the connection has ended"));
    if (m_options.observer)
        m_options.observer->messageSent(m_observed, type, data, tag);
    return {};
}

// A very large message: its data goes in a sealed memory file passed with
// its frames. Refused when no file can be had: the stream carries it.
protocol::Adapter::WriteResult Session::writeShared(qint32 type, const QByteArray &data)
{
    using Result = protocol::Adapter::WriteResult;
    transport::MemoryFile file = transport::MemoryFile::create();
    if (!file.isValid())
        return Result::Refused;
    if (!m_output.isEmpty() || m_adapter->hasUnsealed())
        flushOutput(); // a tag or an ack goes first, without the descriptor
    const Result result = m_adapter->writeDetachedMessage(type, data, m_output,
        [&file](const char *bytes, qsizetype size) { return file.append(bytes, size); });
    if (result.kind != Result::Written)
        return result;
    if (!file.seal())
        return Result::broken(
            Error::SocketError, QStringLiteral("a shared-memory message could not be sealed"));
    const bool written = m_stream->writeWithDescriptor(m_output.contents(), file.release());
    m_output.clear();
    if (!written)
        return Result::broken(
            Error::ConnectionLost, QStringLiteral("write refused: the connection has ended"));
    return Result::Written;
}

// The message the adapter just returned has its data in the memory file
// that came with its frames: map it, open it, deliver it.
void Session::deliverDetached(qint32 type)
{
    QString lost;
    const int descriptor = m_stream->takeDescriptor(&lost);
    if (descriptor < 0 && !lost.isEmpty()) {
        finish(Error::SocketError, lost); // this side's shortage: the peer resends
        return;
    }
    QString error;
    QByteArray data = transport::MemoryFile::receive(descriptor, m_adapter->detachedSize(), &error);
    if (data.isNull()) {
        finish(Error::ProtocolError, error);
        return;
    }
    const qsizetype overhead = m_adapter->detachedOverhead();
    if (!m_adapter->openDetached(data.data(), data.size())) {
        finish(Error::DecryptionFailed,
            QStringLiteral(
                "a shared-memory message failed to open (%1 bytes): it was altered or replayed")
                .arg(data.size()));
        return;
    }
    data.truncate(data.size() - overhead);
    deliver(type, data);
}

// The cold paths of send(), kept out of its way.
Result Session::refuse(qsizetype size)
{
    const Result refused = m_state != State::Established
        ? Result::failure(Error::NotConnected, QStringLiteral("write refused: not connected"))
        : Result::failure(Error::MessageTooLarge,
            QStringLiteral(
                "write refused: %1 bytes exceed the peer's maximum message size of %2 bytes")
                .arg(size)
                .arg(m_peer.maxMessageSize));
    if (m_options.observer)
        m_options.observer->errorOccurred(m_observed, refused.error, refused.reason);
    return refused;
}

Result Session::writeFailed(const protocol::Adapter::WriteResult &result)
{
    if (result.kind == protocol::Adapter::WriteResult::Broken) {
        finish(result.error, result.reason);
    } else if (m_options.observer) {
        m_options.observer->errorOccurred(m_observed, result.error, result.reason);
    }
    return Result::failure(result.error, result.reason);
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
    if (!m_adapter->writeControl(m_output, protocol::Control::ping(0)))
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
        finish(Error::ProtocolError,
            QStringLiteral("connection closed inside a frame (%1 of %2 bytes)")
                .arg(m_largeBody->filled + wire::TypeSize)
                .arg(m_largeBody->data.size() + wire::TypeSize));
        return;
    }
    if (!m_adapter) {
        finish(
            error, QStringLiteral("the peer closed the connection before the handshake completed"));
        return;
    }
    const protocol::Event end = m_adapter->endOfStream(m_reader, error, reason);
    finish(end.error, end.reason);
}

PeerCredentials Session::peerCredentials() const
{
    return m_stream->peerCredentials();
}

bool Session::ping(quint64 token)
{
    if (m_state != State::Established
        || !m_adapter->writeControl(m_output, protocol::Control::ping(token)))
        return false;
    flushOutput();
    return true;
}

qint64 Session::bytesToWrite() const
{
    if (m_state == State::Finished)
        return 0;
    return m_stream->bytesToWrite() + (m_adapter ? m_adapter->unsealedBytes() : 0);
}

bool Session::flush()
{
    if (m_state == State::Finished)
        return false;
    flushOutput(); // a batch held for sealing goes too
    const bool wrote = m_stream->flush();
    if (wrote && m_adapter && m_adapter->sealsMore())
        sealMore(); // flush() does not say bytesWritten()
    return wrote;
}

void Session::close()
{
    if (m_state == State::Finished)
        return;
    sendAck(); // the last deliveries, so that the peer need not report them
    if (m_adapter) {
        finishSealing(); // a large message half sealed goes out whole before the goodbye
        m_adapter->writeControl(m_output, protocol::Control::goodbye());
        flushOutput();
    }
    finish(Error::NoError, QStringLiteral("closed"));
}

// A peer that begins a message and stalls, or trickles it, holds what it
// announced (a large body is allocated whole): it gets messageTimeout to
// finish, however slowly the bytes come.
void Session::watchPartialMessage()
{
    const bool partial = m_state == State::Established
        && (m_largeBody || m_reader.available() > 0 || m_adapter->partialMessageBytes() > 0);
    // Still the same message only if no frame completed meanwhile.
    const bool same = partial && m_partial && m_framesIn == m_framesAtPartial;
    m_partial = partial;
    if (!partial || same || m_options.messageTimeout.count() <= 0)
        return;
    m_framesAtPartial = m_framesIn;
    m_partialSince.start();
    if (!m_messageTimer.isActive())
        m_messageTimer.start(m_options.messageTimeout);
}

void Session::onMessageTimeout()
{
    if (!m_partial || m_state == State::Finished)
        return;
    const qint64 left = m_options.messageTimeout.count() - m_partialSince.elapsed();
    if (left > 0) {
        m_messageTimer.start(std::chrono::milliseconds(left)); // a later message: its own time
        return;
    }
    const qint64 buffered = m_largeBody
        ? qint64(m_largeBody->filled)
        : qint64(m_reader.available()) + m_adapter->partialMessageBytes();
    finish(Error::Timeout,
        QStringLiteral("the peer began a message %1 ms ago and has not finished it (%2 bytes "
                       "arrived; messageReadTimeout)")
            .arg(m_partialSince.elapsed())
            .arg(buffered));
}

void Session::timerEvent(QTimerEvent *event)
{
    if (event->timerId() == m_deliveryTimer && m_ledger)
        reportDelivery();
    else
        QObject::timerEvent(event);
}

void Session::reportDelivery()
{
    const DeliveryLedger &ledger = *m_ledger;
    DeliveryState state;
    state.unconfirmed = qint64(ledger.window().size());
    state.unconfirmedBytes = ledger.windowBytes();
    state.windowMessages = ledger.limits().windowMessages;
    state.windowBytes = ledger.limits().windowBytes;
    state.queued = qint64(ledger.queue().size());
    state.queuedBytes = ledger.queuedBytes();
    state.socketBytes = bytesToWrite();
    state.acknowledging = m_acknowledging;
    state.resumed = m_resumed;
    state.totals = ledger.totals();
    m_options.observer->deliveryChanged(m_observed, state);
}

void Session::finish(Error error, const QString &reason)
{
    if (m_state == State::Finished)
        return;
    m_state = State::Finished;
    m_largeBody.reset();
    m_bodies.release();
    m_handshakeTimer.stop();
    m_heartbeatTimer.stop();
    m_ackTimer.stop();
    m_messageTimer.stop();
    if (m_deliveryTimer != 0) {
        killTimer(std::exchange(m_deliveryTimer, 0));
        reportDelivery(); // the last word: what changed since the last tick
    }
    m_acknowledging = false;
    m_ledger = nullptr; // the owner keeps it for the next connection
    m_adapter.reset(); // wipes the connection's keys
    m_maker.forget();
    m_stream->close();
    if (error != Error::NoError)
        qCDebug(lcWire).noquote() << "connection ended:" << reason;
    if (m_options.observer)
        m_options.observer->connectionFinished(m_observed, error, reason);
    Q_EMIT finished(error, reason);
}

} // namespace ipc
