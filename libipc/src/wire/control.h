// Control messages: frames of type 0 whose data starts with a kind byte.
#pragma once

#include <QByteArray>
#include <QString>

namespace ipc::wire {

enum class ControlKind : quint8 {
    Hello = 1,   // first frame each side sends once the channel is ready
    Goodbye = 2, // the sender closes on purpose
    Ping = 3,
    Pong = 4,
    Ack = 5,    // cumulative: how many of the peer's messages were handed to the application
    Resume = 6, // first frame after the hello when both sides acknowledge
    // Tags on the user message that follows at once (see Correlation).
    Request = 7,
    Reply = 8,
    ErrorReply = 9,
    // The user message that follows at once carries no data on the stream:
    // its `size` (u64) bytes are in a sealed memory file passed with this
    // frame's bytes (SCM_RIGHTS), sealed when the channel is encrypted.
    SharedMemory = 10,
    // Tags the user message that follows at once as remote-object traffic
    // (its type is the object operation): `id` 0 for a one-way message, or
    // a request id that kinds 8 and 9 answer.
    Object = 11,
};

// Bits of Hello::features.
enum Feature : quint32 {
    Acknowledgements = 1u << 0, // this side acknowledges and resumes (kinds 5 and 6)
    Requests = 1u << 1,         // this side understands kinds 7 to 9 (requests and replies)
    SharedMemory = 1u << 2,     // this side takes message data in memory files (kind 10)
    Objects = 1u << 3,          // this side serves and acquires remote objects (kind 11)
    SealedBatches = 1u << 4,    // this side opens records that carry a stretch of frames
};

struct Hello
{
    quint32 maxMessageSize = 0;
    quint64 pid = 0;
    QString processName;
    QString libraryVersion;
    // The delivery block, absent from the hellos of peers before it existed
    // (decoded as features 0).
    quint32 features = 0;
    quint64 instance = 0;       // a client: its stream id; a server: this server object's id
    quint32 windowMessages = 0; // how many unacknowledged messages this side sends at most
    quint32 windowBytes = 0;    // and how many bytes of them
};

// Where a direction of messages stands when a connection (re)starts.
struct Resume
{
    quint64 stream = 0;      // the sender's id for the messages it sends
    quint64 firstSequence = 0; // the sequence number of the next message it sends
    quint64 peerStream = 0;  // the id of the peer's messages it has received (0: none)
    quint64 delivered = 0;   // how many of those it handed to its application
};

// What the next user message is, when it is part of a request/reply
// exchange: a request (the sender waits for a reply with the same id), a
// reply, or an error reply (its data is the error text). Sent as a control
// message right before the user message it tags; plain messages have none.
struct Correlation
{
    enum Kind : quint8 { None = 0, Request = 7, Reply = 8, ErrorReply = 9, Object = 11 };
    Kind kind = None;
    qint32 code = 0; // ErrorReply: the application's error code
    quint64 id = 0;  // the requester's number for the request (Object: 0 when one-way)
    // Never on the wire: an answer the remote-object layer sends. Its own
    // traffic is left out of the counts the application sees.
    bool internal = false;
    bool isSet() const { return kind != None; }
    // A request or an object call: the peer answers it (kinds 8 and 9).
    bool expectsAnswer() const { return kind == Request || (kind == Object && id != 0); }
    bool isObjectTraffic() const { return internal || kind == Object; }
};

constexpr int MaxHelloStringBytes = 255;

QByteArray encodeHello(const Hello &hello);
bool decodeHello(const char *data, qsizetype size, Hello *hello, QString *error);
QByteArray encodeControl(ControlKind kind, quint64 token = 0); // Goodbye, Ping, Pong, Ack, SharedMemory
bool decodeToken(const char *data, qsizetype size, quint64 *token);
QByteArray encodeResume(const Resume &resume);
bool decodeResume(const char *data, qsizetype size, Resume *resume);
QByteArray encodeCorrelation(const Correlation &tag);
// False for a truncated message or an id of 0 (but for a one-way Object tag).
bool decodeCorrelation(const char *data, qsizetype size, Correlation *tag);

} // namespace ipc::wire
