/// \file
/// Status, Error and the per-connection descriptions shared by Server and
/// Client.
#pragma once

#include <ipc/global.h>

#include <QByteArray>
#include <QDateTime>
#include <QMetaType>
#include <QObject>
#include <QString>

namespace ipc {
Q_NAMESPACE_EXPORT(IPC_EXPORT)

/// Connection states of a Server or Client. The numeric values and display
/// strings (statusString()) are golang-ipc's.
enum class Status {
    NotConnected = 0, ///< Constructed: a Server not yet listening, a Client about to connect.
    Listening = 1,    ///< A Server whose listen() succeeded.
    Connecting = 2,   ///< A Client trying to connect: at first, or after connectToServer().
    Connected = 3,    ///< A Client whose connection has completed its handshake.
    Reconnecting = 4, ///< A Client whose connection was lost, trying to connect again.
    Closed = 5,       ///< After close(), or a Client's disconnectFromServer() once done.
    Closing = 6,      ///< Within close(), while connections end; Closed follows before it returns.
    Error = 7,        ///< Failed: a bad address or configuration, a failed listen(), or a Client that gave up.
    Timeout = 8,      ///< A Client that did not (re)connect within ClientConfig::timeout.
    Disconnected = 9, ///< golang-ipc's value, kept for its number; libipc never enters it.
};
Q_ENUM_NS(Status)

/// Returns the display string of \a status as golang-ipc prints it: "Not
/// Connected", "Listening", "Connecting", and so on ("Unknown" for a value
/// outside the enum).
IPC_EXPORT QString statusString(Status status);

/// Why an operation or a connection failed: the value of errorOccurred()
/// and clientErrorOccurred(), with a human-readable reason in errorString().
enum class Error {
    NoError,              ///< No error.
    InvalidAddress,       ///< An empty or malformed address.
    InvalidConfiguration, ///< A ServerConfig or ClientConfig that cannot work (key length, limits).
    AddressInUse,         ///< A live server already holds the name or port.
    /// The socket file or port cannot be used by this user, or the server
    /// accepts only its own user's processes (ServerConfig::sameUserOnly).
    PermissionDenied,
    ServerNotFound,       ///< Nothing listens at the address.
    ConnectionRefused,    ///< Something is there but refused the connection.
    ConnectionLost,       ///< The peer went away without saying goodbye.
    Timeout,              ///< The client gave up connecting or reconnecting, or a request had no reply in time.
    HandshakeTimeout,     ///< The peer completed no handshake in time.
    ProtocolMismatch,     ///< The peer speaks another protocol or version.
    EncryptionRequired,   ///< The server offers no encryption and the client requires it.
    PreSharedKeyMismatch, ///< One side uses a pre-shared key and the other does not.
    HandshakeFailed,      ///< The Noise handshake failed (wrong key or tampering).
    DecryptionFailed,     ///< A record failed to open: altered, replayed or reflected.
    ProtocolError,        ///< A malformed frame or an unexpected message.
    MessageTooLarge,      ///< Over this side's or the peer's maximum message size.
    InvalidMessageType,   ///< Type 0 or negative passed to write().
    NotConnected,         ///< write() on a closed connection or to an unknown client.
    WriteQueueFull,       ///< The queue for unsent messages is full.
    ServerFull,           ///< The server has reached ServerConfig::maxClients.
    SocketError,          ///< Any other error from the operating system.
    RemoteError,          ///< The peer answered a request with replyError().
    /// No object is exposed under the name, it was withdrawn, or it has no
    /// such member.
    ObjectNotFound,
    /// The source's interface lacks or changed a member the replica was
    /// compiled with.
    InterfaceMismatch,
    /// An argument, result or property value of the wrong type or count,
    /// or of a type that cannot travel; an object that cannot be exposed.
    InvalidArgument,
};
Q_ENUM_NS(Error)

/// How well a connection is protected, weakest first.
enum class SecurityLevel {
    Plain, ///< No encryption.
    /// Encrypted, but golang-ipc v2: no authentication of either side, one
    /// key for both directions (a record can be reflected back), random
    /// nonces without sequence (records can be replayed, dropped or
    /// reordered undetected).
    Weak,
    Encrypted,     ///< Noise NN: confidential and tamper-evident, peer not authenticated.
    Authenticated, ///< Noise NNpsk0: as Encrypted, and the peer proved the pre-shared key.
};
Q_ENUM_NS(SecurityLevel)

/// How a connection is protected: Client::encryption() for the client's
/// connection, ClientInfo::encryption for each of a Server's clients.
struct IPC_EXPORT EncryptionInfo
{
    /// The protocol's name, such as "Noise_NN_25519_AESGCM_SHA256"; "none"
    /// for a plain connection.
    QString protocol = QStringLiteral("none");
    /// How well the connection is protected; Plain by default.
    SecurityLevel level = SecurityLevel::Plain;
    /// True when the Noise handshake used the pre-shared key (level
    /// Authenticated).
    bool preSharedKeyAuthenticated = false;
    /// Noise handshake hash: equal on both ends of one connection, so two
    /// peers can compare it out of band to rule out a man in the middle.
    /// Empty for golang-ipc v2, which has none.
    QByteArray handshakeHash;

    /// Returns whether the connection is encrypted at all (level is not Plain).
    bool isEncrypted() const { return level != SecurityLevel::Plain; }
    /// Returns whether it is encrypted, but without the guarantees of Noise
    /// (golang-ipc v2).
    bool isWeak() const { return level == SecurityLevel::Weak; }
};

/// What a peer said about itself in its hello message: its own claim,
/// unlike PeerCredentials.
struct IPC_EXPORT PeerInfo
{
    /// The peer's process id; 0 when its wire does not say (golang-ipc v2,
    /// the line wire).
    qint64 pid = 0;
    /// The peer's program name; empty when its wire does not say.
    QString processName;
    /// The peer's libipc version (its ipc::libraryVersion()); "golang-ipc
    /// protocol 2" for a golang-ipc v2 peer, empty on the line wire.
    QString libraryVersion;
    /// The largest message data the peer accepts, in bytes (on the line
    /// wire, which does not say, this side's own limit); 0 before a
    /// connection.
    quint32 maxMessageSize = 0;
};

/// Who the operating system says is at the other end of a local socket
/// (SO_PEERCRED on Linux): unlike PeerInfo, not the peer's own claim. Each
/// field is -1 when the system does not say (TCP).
struct IPC_EXPORT PeerCredentials
{
    qint64 pid = -1; ///< The peer's process id, or -1.
    qint64 uid = -1; ///< The peer's user id, or -1.
    qint64 gid = -1; ///< The peer's group id, or -1.
    /// Returns whether the system told who the peer is (uid is known).
    bool isKnown() const { return uid >= 0; }
};

/// One client as the server sees it: Server::clients() and
/// Server::clientInfo().
struct IPC_EXPORT ClientInfo
{
    quint64 id = 0;              ///< The client's id on this server; 0 for no client.
    PeerInfo peer;               ///< What the client said about itself.
    PeerCredentials credentials; ///< What the system says about it (local sockets).
    EncryptionInfo encryption;   ///< How its connection is protected.
    QDateTime connectedAt;       ///< When its handshake completed, in UTC.
};

} // namespace ipc

Q_DECLARE_METATYPE(ipc::EncryptionInfo)
Q_DECLARE_METATYPE(ipc::PeerInfo)
Q_DECLARE_METATYPE(ipc::ClientInfo)
