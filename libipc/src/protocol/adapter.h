// One wire's rules for one connection, without I/O: the engine (Session)
// feeds an adapter the bytes that arrived and flushes what the adapter writes
// into an Output. Each wire is one Adapter subclass; the engine never asks
// which wire it runs. Pure enough to drive from a unit test or a fuzzer.
#pragma once

#include "wire/control.h"
#include "wire/frame_reader.h"

#include <ipc/config.h>
#include <ipc/types.h>

#include <QByteArray>
#include <QString>

#include <cstring>
#include <functional>
#include <memory>
#include <utility>

namespace ipc::crypto {
class EphemeralKey;
}

namespace ipc::protocol {

enum class Role { Client, Server };

// What an adapter is told about its side of the connection.
struct Settings
{
    Role role = Role::Client;
    Protocol protocol = Protocol::Native;
    quint32 maxMessageSize = DefaultMaxMessageSize; // the largest data this side accepts
    bool encryption = true;    // server: offer it; client: require it
    QByteArray preSharedKey;   // 32 bytes or empty
    bool rejectAsFull = false; // server: tell the client it is full, then end
    bool rejectAsDenied = false; // server: tell the client its user is not allowed, then end
    // Delivery guarantees (wires that have them): offered in the hello by
    // an owner that gives the session a ledger.
    bool acknowledgements = false;
    quint64 instance = 0;       // a client: its stream id; a server: its own id
    quint32 windowMessages = 0; // this side's send window, for the peer's ack pace
    quint32 windowBytes = 0;
    // The stream can pass file descriptors: offer message data in memory files.
    bool sharedMemory = false;
    // Encrypted: offer sealed batches (many messages to a record).
    bool sealedBatches = true;
};

// What the peer said about delivery in its hello.
struct PeerDelivery
{
    bool acknowledges = false; // both sides offered: acks and resumption are on
    quint64 instance = 0;
    quint32 windowMessages = 0;
    quint32 windowBytes = 0;
    bool requests = false; // the peer understands request and reply tags
    bool objects = false;  // the peer serves and acquires remote objects
    bool sharedMemory = false; // both sides take message data in memory files
};

// Bytes for the engine to write, in order: the small bytes, then block().
class Output
{
public:
    // Room for n more small bytes, to be filled in place. The buffer is
    // reused for every write: no allocation once it has grown.
    char *grow(qsizetype n)
    {
        const qsizetype at = m_used;
        if (m_bytes.size() < at + n)
            m_bytes.resize(qMax(at + n, 2 * m_bytes.size()));
        m_used += n;
        return m_bytes.data() + at;
    }
    void append(const char *data, qsizetype n) { std::memcpy(grow(n), data, size_t(n)); }
    void append(const QByteArray &data) { append(data.constData(), data.size()); }
    void append(char byte) { *grow(1) = byte; }
    // Back to n small bytes (drops what a failed step added).
    void truncate(qsizetype n) { m_used = qMin(n, m_used); }
    // Drops the first n small bytes (taken elsewhere), keeping the rest.
    void removeFront(qsizetype n)
    {
        n = qMin(n, m_used);
        std::memmove(m_bytes.data(), m_bytes.constData() + n, size_t(m_used - n));
        m_used -= n;
    }
    qsizetype size() const { return m_used; }
    const char *data() const { return m_bytes.constData(); }
    // A copy of the small bytes, for tests and logs.
    QByteArray contents() const { return QByteArray(m_bytes.constData(), m_used); }

    // A large block the device keeps by reference instead of copying.
    void setBlock(const QByteArray &block) { m_block = block; }
    // Push what is here to the kernel at once, as a write of its own: some
    // peers read each handshake record with a single read.
    void requestFlush() { m_flush = true; }

    // For the engine.
    bool isEmpty() const { return m_used == 0 && m_block.isNull() && !m_flush; }
    bool hasOnlyBytes() const { return m_block.isNull() && !m_flush; }
    void clear()
    {
        m_used = 0;
        if (m_bytes.size() > MaxKept) // a rare large handshake or line: give the memory back
            m_bytes = QByteArray();
    }
    QByteArray &block() { return m_block; }
    bool flushRequested() const { return m_flush; }
    void clearFlush() { m_flush = false; }

private:
    // Two sealed batch records and a small frame fit: a burst's records are
    // written from this buffer without new memory.
    static constexpr qsizetype MaxKept = 160 * 1024;
    QByteArray m_bytes;
    qsizetype m_used = 0;
    QByteArray m_block;
    bool m_flush = false;
};

// What one step of an adapter came to.
struct Event
{
    enum Kind {
        NeedMore,    // nothing more to do until more bytes arrive
        Progress,    // a step was taken; call next() again
        Established, // the connection is ready for messages
        Message,     // a user message: type and data
        Closed,      // the peer ended the connection on purpose
        Failed,      // the connection cannot go on: error and reason
        Acknowledged, // the peer delivered messages up to `delivered`
        Resumed,     // the peer's Resume: Adapter::peerResume()
        Ponged,      // the peer answered a ping: its `token`
    };

    Kind kind = NeedMore;
    qint32 type = 0;
    QByteArray data;
    Error error = Error::NoError;
    QString reason;
    quint64 delivered = 0; // Acknowledged: the peer's cumulative count
    quint64 token = 0;     // Ponged: the ping's token

    static Event needMore() { return Event{}; }
    static Event progress() { return of(Progress); }
    static Event established() { return of(Established); }
    static Event message(qint32 type, QByteArray data)
    {
        Event event = of(Message);
        event.type = type;
        event.data = std::move(data);
        return event;
    }
    static Event acknowledged(quint64 delivered)
    {
        Event event = of(Acknowledged);
        event.delivered = delivered;
        return event;
    }
    static Event resumed() { return of(Resumed); }
    static Event ponged(quint64 token)
    {
        Event event = of(Ponged);
        event.token = token;
        return event;
    }
    static Event closed(const QString &why) { return ended(Closed, Error::NoError, why); }
    static Event failed(Error error, const QString &why) { return ended(Failed, error, why); }

private:
    static Event of(Kind kind)
    {
        Event event;
        event.kind = kind;
        return event;
    }
    static Event ended(Kind kind, Error error, const QString &why)
    {
        Event event = of(kind);
        event.error = error;
        event.reason = why;
        return event;
    }
};

// What the engine asks a wire to say on its own behalf, between the
// application's messages.
struct Control
{
    enum Kind {
        Goodbye,     // before a close this side asked for
        Ping,        // the peer's library must answer (heartbeats, Client::ping()):
                     // Event::Ponged comes back with `value` as its token
        Correlation, // tags the message written next as a request or a reply (`tag`)
        Ack,         // the cumulative acknowledgement: `value` delivered
        Resume,      // where this side's streams stand as a connection starts
    };
    Kind kind;
    quint64 value = 0;
    wire::Correlation tag = {};
    wire::Resume resume = {};

    static Control goodbye() { return Control{Goodbye}; }
    static Control ping(quint64 token) { return Control{Ping, token}; }
    static Control correlation(const wire::Correlation &tag) { return Control{Correlation, 0, tag}; }
    static Control ack(quint64 delivered) { return Control{Ack, delivered}; }
    static Control resumeAt(const wire::Resume &resume) { return Control{Resume, 0, {}, resume}; }
};

class Adapter
{
public:
    explicit Adapter(const Settings &settings)
        : m_settings(settings)
    {
    }
    virtual ~Adapter();
    Adapter(const Adapter &) = delete;
    Adapter &operator=(const Adapter &) = delete;

    // The connection is open: a side that speaks first writes its greeting.
    // Returns Progress, or Failed when the connection must end at once.
    virtual Event start(Output &out) = 0;
    // One step over what has arrived in `in`: consumes what it uses.
    virtual Event next(wire::FrameReader &in, Output &out) = 0;
    // How writing a message ended, as a value. Refused: this message cannot
    // travel on this wire (the connection goes on). Broken: the connection
    // cannot carry anything more. Either with its error and reason.
    struct WriteResult
    {
        enum Kind { Written, Refused, Broken };
        WriteResult(Kind kind = Written) : kind(kind) {}
        static WriteResult refused(Error error, QString reason) { return {Refused, error, std::move(reason)}; }
        static WriteResult broken(Error error, QString reason) { return {Broken, error, std::move(reason)}; }

        Kind kind;
        Error error = Error::NoError;
        QString reason;

    private:
        WriteResult(Kind kind, Error error, QString reason) : kind(kind), error(error), reason(std::move(reason)) {}
    };
    // Encodes one user message (type > 0, size within peer().maxMessageSize,
    // both checked by the engine).
    virtual WriteResult writeMessage(qint32 type, const QByteArray &data, Output &out) = 0;
    // The stream ended (error and reason as the transport saw it): how the
    // connection's end is reported, given what was left unread in `in`.
    virtual Event endOfStream(const wire::FrameReader &in, Error error, const QString &reason) const = 0;

    // Work the handshake will need, done while the peer is busy: called
    // once the adapter's first bytes have left, and again each time the
    // handshake's bytes have (an encrypted handshake's ephemeral key, and a
    // server's key for its next connection). Default: none.
    virtual void prepareAhead();
    // Says what the engine asks on its own behalf (see Control). False: this
    // wire cannot say it (the default: a wire without control messages).
    virtual bool writeControl(Output &out, const Control &control);
    // The tag the peer put on the message just returned as Event::Message;
    // taken once (unset for a plain message).
    wire::Correlation takeCorrelation() { return std::exchange(m_correlation, wire::Correlation()); }
    // When the frame now arriving in `in` is a large plain user message whose
    // header and type have arrived: its type and data size, and `in` keeps the
    // data bytes that already came (bufferedBody() after the type). The engine
    // then reads the rest straight into the buffer the application receives.
    virtual bool pendingLargeMessage(const wire::FrameReader &in, qint32 *type, qsizetype *dataSize) const;

    // Only when delivery().sharedMemory: writes the frames of a message whose
    // data travels beside the stream, in a memory file, and hands that data
    // (sealed, when the channel is encrypted) to sink, after the frames were
    // sealed. Refused: the caller sends the message on the stream instead.
    using DataSink = std::function<bool(const char *data, qsizetype size)>;
    virtual WriteResult writeDetachedMessage(qint32 type, const QByteArray &data, Output &out,
                                             const DataSink &sink);
    // The message just returned as Event::Message has its data in a memory
    // file of this many bytes (its data size plus detachedOverhead()), or -1.
    qint64 detachedSize() const { return m_detachedSize; }
    qsizetype detachedOverhead() const { return m_detachedOverhead; }
    // Opens that data in place (sealed size bytes; the plain data is then
    // at its front); false when it fails authentication. Takes the size.
    virtual bool openDetached(char *data, qsizetype size);

    // Frames written but not yet sealed, on a wire that seals bursts of
    // them together: the engine calls seal() before anything else of its
    // reaches the stream, and once a burst of writes has ended.
    bool hasUnsealed() const { return m_unsealed.size() > 0; }
    qsizetype unsealedBytes() const { return m_unsealed.size(); }
    // Seals what was held into out; false when the channel cannot seal any
    // more (the connection must end).
    virtual bool seal(Output &out);
    // Whether records carry batches of frames (then a very large message
    // goes on the stream, sealed a piece at a time, rather than in a file).
    bool sealsInBatches() const { return m_batches; }
    // A large message sealed a piece at a time: after writeMessage(), while
    // this holds, the engine writes out what `out` holds and asks for the
    // next piece as the stream takes them. What is written meanwhile
    // follows the message.
    bool sealsMore() const { return m_sealsMore; }
    // The next piece into out; false when the channel cannot seal any more.
    virtual bool sealNextPiece(Output &out);
    // Bytes of a message this wire has begun to open but not finished (a
    // message spanning sealed batches waits here, not in the reader).
    virtual qint64 partialMessageBytes() const { return 0; }

    // Known once established.
    const PeerInfo &peer() const { return m_peer; }
    const EncryptionInfo &encryption() const { return m_encryption; }
    const Settings &settings() const { return m_settings; }
    const PeerDelivery &delivery() const { return m_delivery; }
    // The peer's Resume, once Event::Resumed came (kept here, not in every Event).
    const wire::Resume &peerResume() const { return m_peerResume; }

protected:
    Output m_unsealed; // see hasUnsealed()
    bool m_batches = false; // see sealsInBatches()
    bool m_sealsMore = false; // see sealsMore()
    Settings m_settings;
    PeerInfo m_peer;
    EncryptionInfo m_encryption;
    PeerDelivery m_delivery;
    wire::Resume m_peerResume;
    wire::Correlation m_correlation; // the peer's tag for its next message
    qint64 m_detachedSize = -1;      // the peer's next message is in a memory file
    qsizetype m_detachedOverhead = 0;
};

// From this size on, message data is not copied into a frame buffer: Qt's
// write buffer holds large QByteArrays by reference (its chunk size is 4 KiB).
constexpr qsizetype LargeMessage = 4096;

// For wires whose plain message frame is `length (4) || type (4) || data`:
// whether the frame now arriving in `in` is a large user message whose type
// has arrived (see Adapter::pendingLargeMessage).
bool plainLargeMessage(const wire::FrameReader &in, qint32 *type, qsizetype *dataSize);

// The adapter for a connection whose wire is known from the start: every
// server, and a client told to speak the line wire. Null for a native client,
// which picks its adapter from the server's first byte (adapterForGreeting).
std::unique_ptr<Adapter> createAdapter(const Settings &settings);
std::unique_ptr<Adapter> adapterForGreeting(quint8 firstByte, const Settings &settings);
// Makes a connection's adapter, and does ahead of it what the adapter will
// need: a native client learns its wire only from the server's first byte,
// and the ephemeral key of its encrypted handshake is made meanwhile.
class AdapterMaker
{
public:
    explicit AdapterMaker(const Settings &settings);
    ~AdapterMaker();

    // The adapter when the wire is known from the start (createAdapter()).
    std::unique_ptr<Adapter> makeAtStart() const;
    // The adapter the server's first byte calls for, given what was made ahead.
    std::unique_ptr<Adapter> makeForGreeting(quint8 firstByte);
    // While the adapter is not made yet: the work it will need.
    void prepareAhead();
    // The connection ended: what was made ahead is wiped.
    void forget();

private:
    Settings m_settings;
    std::unique_ptr<crypto::EphemeralKey> m_ephemeralKey;
};

} // namespace ipc::protocol
