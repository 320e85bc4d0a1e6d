// ReplicaNode: the replicas one Client or Server has acquired. It sends
// their acquires (again after a source restarted), routes the sources'
// emissions, withdrawals and missed-emission notices to them, and tells
// them when their connection is down. One per side, made on first use.
#pragma once

#include "object_channel.h"

#include <vector>

namespace ipc {
class Replica;
class ReplicaPrivate;
} // namespace ipc

namespace ipc::objects {

class ReplicaNode
{
public:
    explicit ReplicaNode(ObjectChannel *channel);
    ~ReplicaNode(); // its replicas become SourceGone
    Q_DISABLE_COPY(ReplicaNode)

    ObjectChannel *channel() const { return m_channel; }

    // A new replica of `name` at `peer`; acquires at once (queued until
    // connected, as any message).
    void attach(Replica *replica, quint64 peer, const QString &name);
    void detach(ReplicaPrivate *replica); // releases the source
    void acquire(ReplicaPrivate *replica);

    // Emission, Withdrawn and Missed from a source.
    void onMessage(const Message &message);
    // The connection to `peer` is up again: after a restarted source every
    // replica acquires again, after a resumed one the Suspect are Valid.
    void peerConnected(quint64 peer, bool sourceRestarted);
    void peerDisconnected(quint64 peer);
    void peerGone(quint64 peer);
    void peerRenamed(quint64 from, quint64 to);

private:
    std::vector<ReplicaPrivate *> m_replicas;
    ObjectChannel *const m_channel;
};

} // namespace ipc::objects
