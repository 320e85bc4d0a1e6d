/// \file
/// A typed message, as received from a peer.
#pragma once

#include <ipc/global.h>

#include <QByteArray>
#include <QMetaType>

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

    /// Returns whether this is a local Notice rather than a peer's message.
    bool isNotice() const { return type < 0; }
};

} // namespace ipc

Q_DECLARE_METATYPE(ipc::Message)
