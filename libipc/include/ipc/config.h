/// \file
/// Configuration value types for Server and Client, with golang-ipc's
/// defaults where it has one.
#pragma once

#include <ipc/global.h>

#include <QByteArray>

#include <chrono>

namespace ipc {

/// The default maximum message size: 3 MiB (3,145,728 bytes) of data, as
/// golang-ipc.
constexpr quint32 DefaultMaxMessageSize = 3145728;
/// The smallest maximum message size, in bytes: below it the default
/// applies.
constexpr quint32 MinimumMaxMessageSize = 1024;
/// The largest maximum message size: larger values are capped to 1 GiB.
constexpr quint32 MaximumMaxMessageSize = 1u << 30;

/// The wire a connection speaks.
enum class Protocol {
    /// libipc's own: framed, Noise-encrypted by default, hello with limits.
    Native,
    /// golang-ipc's protocol version 2 (P-384 ECDH + AES-256-GCM, or plain),
    /// for golang-ipc and node-ipc-client peers. Weaker than Native (see
    /// SecurityLevel::Weak), no pre-shared keys, no delivery guarantees.
    GolangIpcV2,
    /// MinIPC's wire: plain TCP or local stream, one newline-terminated
    /// message per line, no handshake, no encryption (the encryption settings
    /// do not apply) and type 1 for every message received.
    Line,
};

/// Messages written on a native connection wait, by reference, until the
/// peer confirms it handed them to its application. The window bounds how
/// many may wait so at once; further writes wait in the write queue. A
/// message larger than `bytes` still travels alone. The peer acknowledges
/// each quarter of the window, so a wide window costs few acknowledgements;
/// what it holds is at most about `bytes` of data plus 64 bytes per message.
/// On a connection whose peer does not acknowledge (golang-ipc v2, the line
/// wire), `bytes` bounds what the socket holds unsent instead: a peer that
/// stops reading fills it, then the write queue, then writes are refused.
struct IPC_EXPORT SendWindow
{
    /// At most this many messages wait for confirmation; 65,536 by default,
    /// at least 1.
    int messages = 65536;
    /// At most about this many bytes of message data wait for confirmation;
    /// 16 MiB by default, at least 1.
    qint64 bytes = 16 * 1024 * 1024;
};

/// What a Client does with messages the server never confirmed when the
/// server it reconnects to is a new process (it was restarted).
enum class Redelivery {
    /// Sends them again: nothing is lost, but a message the old server had
    /// delivered without confirming it yet arrives a second time.
    AtLeastOnce,
    /// Reports them through messagesDropped() and hands them back
    /// (takeUndeliveredMessages()) instead: no duplicate, a counted loss.
    AtMostOnce,
};

/// Whether an endpoint (a Server or a Client) reports its connections and
/// traffic to ipc-monitor (docs/TELEMETRY.md).
enum class Monitoring {
    Environment, ///< As the IPC_MONITOR environment variable says (off when unset).
    On,          ///< Report, to IPC_MONITOR's address or the default one.
    Off,         ///< Never (a monitor's own collector, for one).
};

/// Delay between connection attempts: starts short, grows by factor up to
/// maximum. fixed() gives a constant interval (golang-ipc's RetryTimer).
struct IPC_EXPORT RetryTimer
{
    /// The delay before the first retry; 50 ms by default.
    std::chrono::milliseconds initial{50};
    /// The longest delay, which the growth stops at; 2 seconds by default.
    std::chrono::milliseconds maximum{2000};
    /// Each delay is the previous one times this; 2.0 by default, at least 1.
    double factor = 2.0;

    /// Returns a timer that waits \a interval before every retry.
    static RetryTimer fixed(std::chrono::milliseconds interval);
    /// Returns the delay before attempt number \a attempt (0 = the first
    /// retry): initial times factor to that power, at most maximum.
    std::chrono::milliseconds delayFor(int attempt) const;
};

/// A Server's settings. A configuration a Server or Client cannot use (a key
/// of the wrong length, a key without encryption, a negative limit) makes
/// the constructor put the object in Status::Error with
/// Error::InvalidConfiguration and a reason.
struct IPC_EXPORT ServerConfig
{
    /// The wire every client of this server speaks; Protocol::Native by
    /// default.
    Protocol protocol = Protocol::Native;
    /// Largest message data accepted from a client, in bytes; values below
    /// 1024 mean the default (3 MiB), as in golang-ipc, and values over
    /// 1 GiB are capped (effectiveMaxMessageSize()).
    quint32 maxMessageSize = DefaultMaxMessageSize;
    /// Local sockets: false (the default) makes the socket file owner-only;
    /// true lets every local user connect.
    bool unmaskPermissions = false;
    /// Noise NN (or NNpsk0 with a pre-shared key) on every connection; true
    /// by default. With GolangIpcV2, that wire's own encryption; the line
    /// wire has none.
    bool encryption = true;
    /// 32 bytes, or empty (the default). With a key only clients holding it
    /// can connect; it needs encryption.
    QByteArray preSharedKey;
    /// At most this many connections at once, those still in their
    /// handshake included; more are refused with Error::ServerFull. 0 (the
    /// default) = unlimited; negative is a configuration error.
    int maxClients = 0;
    /// Local sockets only: accept only processes running as this server's
    /// user, as the kernel tells (not as the peer claims). Others are told
    /// so and closed (clientErrorOccurred(PermissionDenied), counted by
    /// Server::refusedPeerCount()). Over TCP, where nobody vouches for the
    /// user, it is a configuration error. Off by default.
    bool sameUserOnly = false;
    /// A client that completes no handshake in this time is dropped
    /// (Error::HandshakeTimeout); 10 seconds by default, 0 = no limit.
    std::chrono::milliseconds handshakeTimeout{10000};
    /// Ping a silent client this often; drop it after two silent intervals
    /// (Error::ConnectionLost). Native wire only, which has a ping. 0 (the
    /// default) = off.
    std::chrono::milliseconds heartbeatInterval{0};
    /// Once a client has begun sending a message, it must finish it within
    /// this time, however slowly the bytes come; otherwise it is dropped
    /// (Error::Timeout) and what its message had reserved is freed. 60
    /// seconds by default, 0 = no limit.
    std::chrono::milliseconds messageReadTimeout{60000};
    /// Per client: how many messages written and not yet confirmed may wait
    /// (SendWindow).
    SendWindow sendWindow;
    /// Per client: beyond the send window, a write queue of at most this
    /// many messages (1024 by default); further writes to that client are
    /// refused until it drains.
    int writeQueueLimit = 1024;
    /// Per client: the write queue also holds at most this many bytes of
    /// message data (64 MiB by default); a write that would go past it is
    /// refused (Error::WriteQueueFull). An empty queue takes any one
    /// message. 0 = no limit in bytes.
    qint64 writeQueueBytes = 64 * 1024 * 1024;
    /// A client whose connection broke (not one that said goodbye) may come
    /// back within this time and resume: what it had not confirmed is sent
    /// again, exactly once. After it, those messages are reported
    /// (clientMessagesDropped) and handed back (takeUndeliveredMessages).
    /// 30 seconds by default.
    std::chrono::milliseconds resumeTimeout{30000};
    /// Whether this server reports to ipc-monitor; as IPC_MONITOR says by
    /// default.
    Monitoring monitoring = Monitoring::Environment;
    /// With monitoring on: also report the first 64 bytes of sampled
    /// messages. Off by default, so no payload leaves the process by accident.
    bool reportPayloads = false;

    /// Returns the maximum message size in force: maxMessageSize, or the
    /// default when it is below 1024, capped to 1 GiB.
    quint32 effectiveMaxMessageSize() const;
};

/// A Client's settings: how it connects, retries and delivers. An unusable
/// configuration puts the Client in Status::Error, as for ServerConfig.
struct IPC_EXPORT ClientConfig
{
    /// Native (the default): the server's first byte decides the wire
    /// (libipc's native protocol, or golang-ipc v2). GolangIpcV2: only a
    /// golang-ipc v2 server is accepted. Line: MinIPC's line wire, which the
    /// client must be told since a line server may say nothing first.
    Protocol protocol = Protocol::Native;
    /// How long to keep trying to connect or reconnect before giving up with
    /// Status::Timeout. 0 = forever (golang-ipc's default).
    std::chrono::milliseconds timeout{0};
    /// The delays between connection attempts.
    RetryTimer retryTimer;
    /// Connection attempts before giving up with the last attempt's error
    /// (Status::Error). 0 (the default) = no limit but timeout. 1 = fail at
    /// once, as MinIPC.
    int maxAttempts = 0;
    /// true (the default): refuse a server that offers no encryption.
    /// false: accept either.
    bool encryptionRequired = true;
    /// 32 bytes, or empty (the default); must match the server's.
    QByteArray preSharedKey;
    /// Messages written while not connected, or while the send window is
    /// full, wait in order in a queue of at most this many (1024 by
    /// default); further writes are refused until it drains (see
    /// Client::writableChanged()).
    int writeQueueLimit = 1024;
    /// The queue also holds at most this many bytes of message data (64 MiB
    /// by default); a write that would go past it is refused
    /// (Error::WriteQueueFull). An empty queue takes any one message.
    /// 0 = no limit in bytes.
    qint64 writeQueueBytes = 64 * 1024 * 1024;
    /// How many messages written and not yet confirmed may wait (SendWindow).
    SendWindow sendWindow;
    /// What happens to unconfirmed messages when the server was restarted;
    /// Redelivery::AtLeastOnce by default.
    Redelivery redelivery = Redelivery::AtLeastOnce;
    /// How long disconnectFromServer() may take to deliver what is pending
    /// before it closes anyway and reports the rest; 30 seconds by default,
    /// 0 = no limit.
    std::chrono::milliseconds disconnectTimeout{30000};
    /// Whether this client reports to ipc-monitor; as IPC_MONITOR says by
    /// default.
    Monitoring monitoring = Monitoring::Environment;
    /// As ServerConfig::reportPayloads: off by default.
    bool reportPayloads = false;
    /// Largest message data accepted from the server, in bytes (below 1024:
    /// the default, 3 MiB; capped to 1 GiB).
    quint32 maxMessageSize = DefaultMaxMessageSize;
    /// A connection that completes no handshake in this time fails with
    /// Error::HandshakeTimeout (and is retried); 10 seconds by default,
    /// 0 = no limit.
    std::chrono::milliseconds handshakeTimeout{10000};
    /// As ServerConfig::heartbeatInterval: ping a silent server this often;
    /// after two silent intervals the connection counts as lost (and the
    /// client reconnects). 0 (the default) = off.
    std::chrono::milliseconds heartbeatInterval{0};
    /// As ServerConfig::messageReadTimeout: a message the server has begun
    /// must be complete within this time (60 seconds by default, 0 = no
    /// limit); otherwise the connection counts as lost.
    std::chrono::milliseconds messageReadTimeout{60000};

    /// Returns the maximum message size in force: maxMessageSize, or the
    /// default when it is below 1024, capped to 1 GiB.
    quint32 effectiveMaxMessageSize() const;
};

} // namespace ipc
