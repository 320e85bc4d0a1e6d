// What a Session tells an observer (telemetry) about its connection. Every
// call names the connection by the id the owning Server also uses for it.
// Null by default: when unset a session pays one pointer check per message.
// Calls come from the session's thread; an observer must not block.
#pragma once

#include "protocol/adapter.h"

#include <ipc/config.h>
#include <ipc/types.h>

namespace ipc {

class SessionObserver
{
public:
    virtual ~SessionObserver();

    // A connection exists (accepted, or connected to the server), before any handshake.
    virtual void connectionOpened(quint64 id, protocol::Role role, const QString &peerAddress);
    // The handshake is done: the wire, what the peer said, how it is protected.
    virtual void connectionEstablished(quint64 id, Protocol protocol, const PeerInfo &peer,
                                       const EncryptionInfo &encryption);
    // A user message was handed to the application, or to the wire.
    virtual void messageReceived(quint64 id, qint32 type, qsizetype size);
    virtual void messageSent(quint64 id, qint32 type, qsizetype size);
    // A write this connection refused; the connection goes on.
    virtual void errorOccurred(quint64 id, Error error, const QString &reason);
    // Once per connection: error is NoError for an orderly end.
    virtual void connectionFinished(quint64 id, Error error, const QString &reason);
};

// The observer Servers and Clients created from now on give their sessions.
SessionObserver *defaultSessionObserver();
void setDefaultSessionObserver(SessionObserver *observer);

// Ids for connections, unique in this process (a Server's client ids too).
quint64 nextConnectionId();

} // namespace ipc
