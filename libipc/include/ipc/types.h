// Status, Error and per-connection descriptions shared by Server and Client.
#pragma once

#include <ipc/global.h>

#include <QByteArray>
#include <QDateTime>
#include <QMetaType>
#include <QObject>
#include <QString>

namespace ipc {
Q_NAMESPACE_EXPORT(IPC_EXPORT)

// Connection states. The numeric values and display strings are golang-ipc's.
enum class Status {
    NotConnected = 0,
    Listening = 1,
    Connecting = 2,
    Connected = 3,
    Reconnecting = 4,
    Closed = 5,
    Closing = 6,
    Error = 7,
    Timeout = 8,
    Disconnected = 9,
};
Q_ENUM_NS(Status)

// "Not Connected", "Listening", ... as golang-ipc prints them.
IPC_EXPORT QString statusString(Status status);

enum class Error {
    NoError,
    InvalidAddress,       // empty or malformed address
    InvalidConfiguration, // a ServerConfig or ClientConfig that cannot work (key length, limits)
    AddressInUse,         // a live server already holds the name or port
    PermissionDenied,     // the socket file or port cannot be used by this user
    ServerNotFound,       // nothing listens at the address
    ConnectionRefused,    // something is there but refused the connection
    ConnectionLost,       // the peer went away without saying goodbye
    Timeout,              // the client gave up connecting or reconnecting
    HandshakeTimeout,     // the peer completed no handshake in time
    ProtocolMismatch,     // the peer speaks another protocol or version
    EncryptionRequired,   // the server offers no encryption and the client requires it
    PreSharedKeyMismatch, // one side uses a pre-shared key and the other does not
    HandshakeFailed,      // the Noise handshake failed (wrong key or tampering)
    DecryptionFailed,     // a record failed to open: altered, replayed or reflected
    ProtocolError,        // a malformed frame or an unexpected message
    MessageTooLarge,      // over this side's or the peer's maximum message size
    InvalidMessageType,   // type 0 or negative passed to write()
    NotConnected,         // write() on a closed connection or an unknown client
    WriteQueueFull,       // the client's queue for unsent messages is full
    ServerFull,           // the server has reached maxClients
    SocketError,          // any other error from the operating system
};
Q_ENUM_NS(Error)

// How well a connection is protected, weakest first.
enum class SecurityLevel {
    Plain,         // no encryption
    Weak,          // encrypted, but golang-ipc v2: no authentication of either side,
                   // one key for both directions (a record can be reflected back),
                   // random nonces without sequence (records can be replayed,
                   // dropped or reordered undetected)
    Encrypted,     // Noise NN: confidential and tamper-evident, peer not authenticated
    Authenticated, // Noise NNpsk0: as Encrypted, and the peer proved the pre-shared key
};
Q_ENUM_NS(SecurityLevel)

// How a connection is protected. protocol is "none" for a plain connection.
struct IPC_EXPORT EncryptionInfo
{
    QString protocol = QStringLiteral("none");
    SecurityLevel level = SecurityLevel::Plain;
    bool preSharedKeyAuthenticated = false;
    // Noise handshake hash: equal on both ends of one connection, so two
    // peers can compare it out of band to rule out a man in the middle.
    // Empty for golang-ipc v2, which has none.
    QByteArray handshakeHash;

    bool isEncrypted() const { return level != SecurityLevel::Plain; }
    // Encrypted, but without the guarantees of Noise (golang-ipc v2).
    bool isWeak() const { return level == SecurityLevel::Weak; }
};

// What a peer said about itself in its hello message.
struct IPC_EXPORT PeerInfo
{
    qint64 pid = 0;
    QString processName;
    QString libraryVersion;
    quint32 maxMessageSize = 0; // the largest message data the peer accepts
};

// Who the operating system says is at the other end of a local socket
// (SO_PEERCRED on Linux): unlike PeerInfo, not the peer's own claim. -1 when
// the system does not say (TCP).
struct IPC_EXPORT PeerCredentials
{
    qint64 pid = -1;
    qint64 uid = -1;
    qint64 gid = -1;
    bool isKnown() const { return uid >= 0; }
};

// One client as the server sees it.
struct IPC_EXPORT ClientInfo
{
    quint64 id = 0;
    PeerInfo peer;
    PeerCredentials credentials;
    EncryptionInfo encryption;
    QDateTime connectedAt;
};

} // namespace ipc

Q_DECLARE_METATYPE(ipc::EncryptionInfo)
Q_DECLARE_METATYPE(ipc::PeerInfo)
Q_DECLARE_METATYPE(ipc::ClientInfo)
