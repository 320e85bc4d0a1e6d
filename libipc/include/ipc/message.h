// A typed message, as received from a peer.
#pragma once

#include <ipc/global.h>

#include <QByteArray>
#include <QMetaType>

namespace ipc {

struct IPC_EXPORT Message
{
    // Types a peer sends are > 0. Type 0 is reserved for the protocol's own
    // control messages and never reaches the user. Negative types are local
    // notices that never travel: waitForMessage() returns them when no
    // message came (golang-ipc's -1 and -2).
    enum Notice : qint32 {
        StatusNotice = -1, // timed out or failed; data holds the reason
        ClosedNotice = -2, // the connection is closed; data holds the reason
    };

    qint32 type = 0;
    QByteArray data;
    quint64 clientId = 0; // on the server: which client sent it

    bool isNotice() const { return type < 0; }
};

} // namespace ipc

Q_DECLARE_METATYPE(ipc::Message)
