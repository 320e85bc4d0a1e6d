/// \file
/// The telemetry event format (docs/TELEMETRY.md, format version 1): what a
/// libipc process with monitoring on reports to ipc-monitor, and what a
/// collector reads.
#pragma once

#include <ipc/global.h>

#include <QCborMap>
#include <QtAlgorithms>
#include <QString>

/// The telemetry event format (docs/TELEMETRY.md, format version 1).
///
/// A reporting process is a libipc Client of the monitor's address. Each event
/// is one message: its type is an EventType, its data a CBOR map whose keys
/// are the Key constants below. Events of one process arrive in order; counts
/// are deltas since the previous Counters event, so a collector adds them up.
/// Remote-object traffic is counted per object member, and its rows carry the
/// member's name, such as "thermostat.setTarget(double)".
namespace ipc::telemetry {

/// The format version, sent as Key::Version in each Hello (2: Requests and Delivery).
constexpr int FormatVersion = 2;

/// The type of a telemetry message; each value lists the keys of its map.
enum class EventType : qint32 {
    Hello = 1,                 ///< version, pid, process, library: first after each (re)connection.
    EndpointUp = 2,            ///< endpoint, role, address, transport, protocol.
    EndpointStatus = 3,        ///< endpoint, status (ipc::Status as its golang-ipc string).
    EndpointDown = 4,          ///< endpoint.
    ConnectionOpened = 5,      ///< connection, endpoint, peer address, peer pid and uid (-1: unknown).
    ConnectionEstablished = 6, ///< connection, protocol, peer pid and process, encryption.
    ConnectionError = 7,       ///< connection, error, reason: a refused write; the connection goes on.
    ConnectionClosed = 8,      ///< connection, error (empty: orderly), reason.
    Counters = 9,              ///< time, rows: [connection, direction, type, count, bytes, min, max, name?].
    MessageSamples = 10,       ///< time, rows: [time, connection, direction, type, size, payload?, name?, arguments?].
    Dropped = 11,              ///< samples and events not reported since the last Dropped.
    Requests = 12,             ///< time, rows: [endpoint, peer, type, outcome, count, sum, max, buckets, name?] (version 2).
    /// time, rows: [connection, unconfirmed, unconfirmed bytes, window messages, window bytes, queued,
    /// queued bytes, socket bytes, refused, back-pressure, resumptions, re-sent, handed back, writable,
    /// acknowledging, resumed] (version 2): current values and running totals, sent when they change.
    Delivery = 13,
};

/// How a request or an object call an endpoint made ended, in Requests rows.
enum class RequestOutcome : int {
    Reply = 0,          ///< The peer replied.
    ErrorReply = 1,     ///< The peer answered with an error (replyError(), or the source refused).
    Timeout = 2,        ///< No answer within the request's timeout.
    ConnectionLost = 3, ///< The connection or the endpoint ended first.
    Refused = 4         ///< Refused before it went out (too large, queue full, wrong wire).
};

/// Request durations, in microseconds, are counted in buckets: one each for
/// 0 to 3, then four per power of two, so that a bucket's width is a quarter
/// of its lower bound. Bucket 159, the last, holds everything from 7 * 2^38
/// us (about 22 days) on.
constexpr int LatencyBuckets = 160;

/// Returns the bucket of a duration of \a micros microseconds.
constexpr int latencyBucket(quint64 micros)
{
    if (micros < 4)
        return int(micros);
    const int power = 63 - int(qCountLeadingZeroBits(micros)); // 2 and up
    const int quarter = int((micros >> (power - 2)) & 3);
    const int bucket = 4 * (power - 1) + quarter;
    return bucket < LatencyBuckets ? bucket : LatencyBuckets - 1;
}

/// Returns the smallest duration, in microseconds, that falls in \a bucket
/// (clamped to 0 .. LatencyBuckets - 1).
constexpr quint64 latencyBucketStart(int bucket)
{
    if (bucket >= LatencyBuckets)
        bucket = LatencyBuckets - 1;
    if (bucket < 4)
        return bucket < 0 ? 0 : quint64(bucket);
    return quint64(4 + bucket % 4) << (bucket / 4 - 1);
}

/// Message directions in Counters and MessageSamples rows.
enum class Direction : int {
    Received = 0, ///< A message the endpoint received.
    Sent = 1      ///< A message the endpoint sent.
};

/// Map keys. Times are milliseconds since the Unix epoch; ids are unique per
/// process (a connection's id is the Server's client id for it).
namespace Key {
inline constexpr char Version[] = "version";             ///< The format version (FormatVersion).
inline constexpr char Pid[] = "pid";                     ///< The reporting process's id.
inline constexpr char Process[] = "process";             ///< The reporting process's executable name.
inline constexpr char Library[] = "library";             ///< The reporting process's libipc version.
inline constexpr char Endpoint[] = "endpoint";           ///< An endpoint's id: one per Server or Client.
inline constexpr char Role[] = "role";                   ///< "server" or "client".
inline constexpr char Address[] = "address";             ///< The endpoint's address.
inline constexpr char Transport[] = "transport";         ///< "local" or "tcp".
inline constexpr char Protocol[] = "protocol";           ///< "native", "golang-ipc-v2" or "line".
inline constexpr char Status[] = "status";               ///< The endpoint's ipc::Status as its golang-ipc string.
inline constexpr char Connection[] = "connection";       ///< A connection's id.
inline constexpr char PeerAddress[] = "peerAddress";     ///< The peer's address.
inline constexpr char PeerPid[] = "peerPid";             ///< The peer's process id.
inline constexpr char PeerUid[] = "peerUid";             ///< The peer's user id (local sockets; -1: unknown).
inline constexpr char PeerProcess[] = "peerProcess";     ///< The peer's process name, as it said.
inline constexpr char Encryption[] = "encryption";       ///< The Noise protocol name, or "none".
inline constexpr char Security[] = "security";           ///< "plain", "weak", "encrypted", "authenticated".
inline constexpr char HandshakeHash[] = "handshakeHash"; ///< Its first 8 bytes, hex.
inline constexpr char Error[] = "error";                 ///< ipc::Error's name, "" when none.
inline constexpr char Reason[] = "reason";               ///< Why, in words.
inline constexpr char Time[] = "time";                   ///< When the event was made.
inline constexpr char Rows[] = "rows";                   ///< The rows of Counters or MessageSamples.
inline constexpr char Samples[] = "samples";             ///< Dropped: samples not reported.
inline constexpr char Events[] = "events";               ///< Dropped: events not reported.
inline constexpr char Correlations[] = "correlations";   ///< MessageSamples: [row, kind, id] of requests and answers (version 2).
} // namespace Key

/// Returns the monitor's per-user address: $XDG_RUNTIME_DIR/ipc-monitor.sock
/// when that directory is set, else the local name ipc-monitor-UID.
IPC_EXPORT QString defaultMonitorAddress();

/// Returns the address IPC_MONITOR asks for: empty when monitoring is not on
/// ("", "0" or "off"), defaultMonitorAddress() for "1" or "on", else its
/// value.
IPC_EXPORT QString monitorAddressFromEnvironment();

/// Returns the CBOR map of one event's data; an empty map when it is not one.
IPC_EXPORT QCborMap decodeEvent(const QByteArray &data);

} // namespace ipc::telemetry
