#include "object_endpoint.h"

#include "object_protocol.h"

namespace ipc::objects {

ObjectEndpoint::ObjectEndpoint(std::unique_ptr<ObjectChannel> channel)
    : m_channel(std::move(channel))
    , m_sources(m_channel.get())
    , m_replicas(m_channel.get())
{
}

void ObjectEndpoint::onMessage(const Message &message)
{
    switch (message.type) {
    case Emission:
    case Withdrawn:
    case Missed:
        return m_replicas.onMessage(message);
    default:
        return m_sources.onMessage(message); // it refuses what is not an operation at all
    }
}

void ObjectEndpoint::peerGone(quint64 peer)
{
    m_sources.peerGone(peer);
    m_replicas.peerGone(peer);
}

void ObjectEndpoint::peerRenamed(quint64 from, quint64 to)
{
    m_sources.peerRenamed(from, to);
    m_replicas.peerRenamed(from, to);
}

} // namespace ipc::objects
