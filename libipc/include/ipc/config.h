// Configuration value types for Server and Client, with golang-ipc's defaults
// where it has one.
#pragma once

#include <ipc/global.h>

#include <QByteArray>

#include <chrono>

namespace ipc {

constexpr quint32 DefaultMaxMessageSize = 3145728; // 3 MiB, as golang-ipc
constexpr quint32 MinimumMaxMessageSize = 1024;    // below this the default applies
constexpr quint32 MaximumMaxMessageSize = 1u << 30; // larger values are capped to 1 GiB

// The wire a connection speaks.
enum class Protocol {
    // libipc's own: framed, Noise-encrypted by default, hello with limits.
    Native,
    // golang-ipc's protocol version 2 (P-384 ECDH + AES-256-GCM, or plain),
    // for golang-ipc and node-ipc-client peers. Weaker than Native (see
    // SecurityLevel::Weak), no pre-shared keys, no delivery guarantees.
    GolangIpcV2,
    // MinIPC's wire: plain TCP or local stream, one newline-terminated
    // message per line, no handshake, no encryption (the encryption settings
    // do not apply) and type 1 for every message received.
    Line,
};

// Messages written on a native connection wait, by reference, until the
// peer confirms it handed them to its application. The window bounds how
// many may wait so at once; further writes wait in the write queue. A
// message larger than `bytes` still travels alone. The peer acknowledges
// each quarter of the window, so a wide window costs few acknowledgements;
// what it holds is at most about `bytes` of data plus 64 bytes per message.
struct IPC_EXPORT SendWindow
{
    int messages = 65536;
    qint64 bytes = 16 * 1024 * 1024;
};

// What a Client does with messages the server never confirmed when the
// server it reconnects to is a new process (it was restarted).
enum class Redelivery {
    // Sends them again: nothing is lost, but a message the old server had
    // delivered without confirming it yet arrives a second time.
    AtLeastOnce,
    // Reports them through messagesDropped() and hands them back
    // (takeUndeliveredMessages()) instead: no duplicate, a counted loss.
    AtMostOnce,
};

// Whether an endpoint (a Server or a Client) reports its connections and
// traffic to ipc-monitor (docs/TELEMETRY.md).
enum class Monitoring {
    Environment, // as the IPC_MONITOR environment variable says (off when unset)
    On,          // report, to IPC_MONITOR's address or the default one
    Off,         // never (a monitor's own collector, for one)
};

// Delay between connection attempts: starts short, grows by factor up to
// maximum. fixed() gives a constant interval (golang-ipc's RetryTimer).
struct IPC_EXPORT RetryTimer
{
    std::chrono::milliseconds initial{50};
    std::chrono::milliseconds maximum{2000};
    double factor = 2.0;

    static RetryTimer fixed(std::chrono::milliseconds interval);
    // The delay before attempt number `attempt` (0 = the first retry).
    std::chrono::milliseconds delayFor(int attempt) const;
};

// A configuration a Server or Client cannot use (a key of the wrong length,
// a key without encryption, a negative limit) makes the constructor put the
// object in Status::Error with Error::InvalidConfiguration and a reason.
struct IPC_EXPORT ServerConfig
{
    // The wire every client of this server speaks.
    Protocol protocol = Protocol::Native;
    // Largest message data accepted from a client; values below 1024 mean the
    // default, as in golang-ipc.
    quint32 maxMessageSize = DefaultMaxMessageSize;
    // false: the socket file is owner-only. true: every local user may connect.
    bool unmaskPermissions = false;
    // Noise NN (or NNpsk0 with a pre-shared key) on every connection.
    bool encryption = true;
    // 32 bytes, or empty. With a key only clients holding it can connect;
    // it needs encryption.
    QByteArray preSharedKey;
    int maxClients = 0; // 0 = unlimited; negative is a configuration error
    // Local sockets only: accept only processes running as this server's
    // user, as the kernel tells (not as the peer claims). Others are told
    // so and closed (clientErrorOccurred(PermissionDenied), counted by
    // Server::refusedPeerCount()). Over TCP, where nobody vouches for the
    // user, it is a configuration error.
    bool sameUserOnly = false;
    // A client that completes no handshake in this time is dropped.
    std::chrono::milliseconds handshakeTimeout{10000};
    // Ping a silent client this often; drop it after two silent intervals. 0 = off.
    std::chrono::milliseconds heartbeatInterval{0};
    // Per client: messages written and not yet confirmed (SendWindow), and
    // beyond it a write queue of at most writeQueueLimit messages.
    SendWindow sendWindow;
    int writeQueueLimit = 1024;
    // A client whose connection broke (not one that said goodbye) may come
    // back within this time and resume: what it had not confirmed is sent
    // again, exactly once. After it, those messages are reported
    // (clientMessagesDropped) and handed back (takeUndeliveredMessages).
    std::chrono::milliseconds resumeTimeout{30000};
    Monitoring monitoring = Monitoring::Environment;
    // With monitoring on: also report the first 64 bytes of sampled
    // messages. Off by default, so no payload leaves the process by accident.
    bool reportPayloads = false;

    quint32 effectiveMaxMessageSize() const;
};

struct IPC_EXPORT ClientConfig
{
    // Native: the server's first byte decides the wire (libipc's native
    // protocol, or golang-ipc v2). GolangIpcV2: only a golang-ipc v2 server
    // is accepted. Line: MinIPC's line wire, which the client must be told
    // since a line server may say nothing first.
    Protocol protocol = Protocol::Native;
    // How long to keep trying to connect or reconnect before giving up with
    // Status::Timeout. 0 = forever (golang-ipc's default).
    std::chrono::milliseconds timeout{0};
    RetryTimer retryTimer;
    // Connection attempts before giving up with the last attempt's error
    // (Status::Error). 0 = no limit but timeout. 1 = fail at once, as MinIPC.
    int maxAttempts = 0;
    // true: refuse a server that offers no encryption. false: accept either.
    bool encryptionRequired = true;
    QByteArray preSharedKey; // 32 bytes, or empty; must match the server's
    // Messages written while not connected, or while the send window is
    // full, wait in order in a queue of at most this many; further writes
    // are refused until it drains (see Client::writableChanged()).
    int writeQueueLimit = 1024;
    SendWindow sendWindow;
    Redelivery redelivery = Redelivery::AtLeastOnce;
    // How long disconnectFromServer() may take to deliver what is pending
    // before it closes anyway and reports the rest.
    std::chrono::milliseconds disconnectTimeout{30000};
    Monitoring monitoring = Monitoring::Environment;
    bool reportPayloads = false; // as ServerConfig::reportPayloads
    // Largest message data accepted from the server (below 1024: default).
    quint32 maxMessageSize = DefaultMaxMessageSize;
    std::chrono::milliseconds handshakeTimeout{10000};
    std::chrono::milliseconds heartbeatInterval{0}; // 0 = off

    quint32 effectiveMaxMessageSize() const;
};

} // namespace ipc
