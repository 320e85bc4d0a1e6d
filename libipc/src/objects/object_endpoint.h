// ObjectEndpoint: the remote-object layer of one Client or Server, made on
// first use: the objects it exposes (SourceHost), the replicas it acquired
// (ReplicaNode), and the channel to the side below. Code that never uses
// remote objects never makes one.
#pragma once

#include "object_channel.h"
#include "replica_node.h"
#include "source_host.h"

#include <memory>

namespace ipc::objects {

class ObjectEndpoint
{
public:
    explicit ObjectEndpoint(std::unique_ptr<ObjectChannel> channel);
    Q_DISABLE_COPY(ObjectEndpoint)

    SourceHost &sources() { return m_sources; }
    ReplicaNode &replicas() { return m_replicas; }
    ObjectChannel &channel() { return *m_channel; }

    // An object message from `message.clientId` (0: the server).
    void onMessage(const Message &message);
    // A peer's connection ended and it will not come back.
    void peerGone(quint64 peer);
    // A Server's client resumed under a new id.
    void peerRenamed(quint64 from, quint64 to);

private:
    std::unique_ptr<ObjectChannel> m_channel;
    SourceHost m_sources;
    ReplicaNode m_replicas;
};

} // namespace ipc::objects
