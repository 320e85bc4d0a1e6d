/// \file
/// A typed message, as received from a peer.
#pragma once

#include <ipc/global.h>

#include <QByteArray>
#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QJsonDocument>
#include <QMetaType>
#include <QVariantMap>

#include <type_traits>

namespace ipc {

/// A typed message, as received from a peer (messageReceived()), returned
/// by the blocking waits, or handed back undelivered
/// (takeUndeliveredMessages()).
struct IPC_EXPORT Message
{
    /// Types a peer sends are > 0. Type 0 is reserved for the protocol's own
    /// control messages and never reaches the user. Negative types are local
    /// notices that never travel: waitForMessage() returns them when no
    /// message came (golang-ipc's -1 and -2).
    enum Notice : qint32 {
        StatusNotice = -1, ///< Timed out or failed; data holds the reason.
        ClosedNotice = -2, ///< The connection is closed; data holds the reason.
    };

    qint32 type = 0;      ///< The message type: > 0 for a peer's message, a Notice when < 0.
    QByteArray data;      ///< The message data (for a Notice, the reason as UTF-8 text).
    quint64 clientId = 0; ///< On the server: which client sent it (or was to receive it); 0 on a client.
    /// Non-zero for a request: the peer waits for Server::reply() or
    /// Client::reply() (or replyError()) with this message.
    quint64 requestId = 0;

    /// Returns whether this is a local Notice rather than a peer's message.
    bool isNotice() const { return type < 0; }
    /// Returns whether the peer sent this with request() and waits for a reply.
    bool isRequest() const { return requestId != 0; }

    /// Decodes data as one CBOR item (RFC 8949), as writeCbor(), request()
    /// and reply() with a typed payload send it. On
    /// malformed data or bytes after the item, returns an invalid QCborValue
    /// and sets *errorString (when given) to the cause and offset.
    QCborValue toCbor(QString *errorString = nullptr) const;
    /// As toCbor(), converted to JSON; a null document with *errorString set
    /// when the data is not CBOR or holds neither a map nor an array.
    QJsonDocument toJson(QString *errorString = nullptr) const;
    /// As toCbor(), converted to a QVariantMap; empty with *errorString set
    /// when the data is not CBOR or not a CBOR map.
    QVariantMap toVariantMap(QString *errorString = nullptr) const;
};

/// Encodes a typed payload as CBOR, the encoding writeCbor(), request()
/// and reply() use for QCborValue, QCborMap, QCborArray, QJsonDocument and
/// QVariantMap; Message::toCbor() reads it back.
IPC_EXPORT QByteArray encodeCbor(const QCborValue &value);
/// \overload
IPC_EXPORT QByteArray encodeCbor(const QJsonDocument &document);
/// \overload
IPC_EXPORT QByteArray encodeCbor(const QVariantMap &map);

/// Whether T is a payload type writeCbor() and the CBOR overloads of
/// request() and reply() accept (exactly these: no implicit conversions, so a string
/// literal or a QString still goes the QByteArray way).
template <typename T>
inline constexpr bool IsCborPayload = std::is_same_v<T, QCborValue> || std::is_same_v<T, QCborMap>
    || std::is_same_v<T, QCborArray> || std::is_same_v<T, QJsonDocument> || std::is_same_v<T, QVariantMap>;

/// \cond INTERNAL
namespace detail {
inline QByteArray encodePayload(const QCborMap &map)
{
    return encodeCbor(QCborValue(map));
}
inline QByteArray encodePayload(const QCborArray &array)
{
    return encodeCbor(QCborValue(array));
}
template <typename T>
QByteArray encodePayload(const T &value)
{
    return encodeCbor(value);
}
} // namespace detail
/// \endcond

} // namespace ipc

Q_DECLARE_METATYPE(ipc::Message)
