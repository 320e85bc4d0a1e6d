#include "replica_node.h"

#include "object_protocol.h"
#include "replica_p.h"

#include "../logging.h"

#include <QPointer>

#include <algorithm>

namespace ipc::objects {

ReplicaNode::ReplicaNode(ObjectChannel *channel)
    : m_channel(channel)
{
}

ReplicaNode::~ReplicaNode()
{
    const std::vector<ReplicaPrivate *> replicas = std::move(m_replicas);
    for (ReplicaPrivate *replica : replicas) {
        replica->node = nullptr;
        replica->fail(Replica::State::SourceGone, Error::NotConnected,
            QStringLiteral("\"%1\": the Client or Server it was acquired through was destroyed")
                .arg(replica->name));
    }
}

void ReplicaNode::attach(Replica *replica, quint64 peer, const QString &name)
{
    ReplicaPrivate *d = replica->d.get();
    d->node = this;
    d->peer = peer;
    d->name = name;
    m_replicas.push_back(d);
    QString why;
    if (!d->readExpected(&why)) {
        d->fail(Replica::State::InterfaceMismatch, Error::InvalidArgument,
            QStringLiteral("acquire of \"%1\" refused: %2").arg(name, why));
        return;
    }
    acquire(d);
}

void ReplicaNode::detach(ReplicaPrivate *replica)
{
    m_replicas.erase(std::remove(m_replicas.begin(), m_replicas.end(), replica), m_replicas.end());
    replica->node = nullptr;
    if (replica->handle != 0
        && (replica->state == Replica::State::Valid || replica->state == Replica::State::Suspect))
        m_channel->send(replica->peer, Release,
            encode(QCborMap { { QStringLiteral("handle"), qint64(replica->handle) } }));
}

void ReplicaNode::acquire(ReplicaPrivate *replica)
{
    const quint64 generation = ++replica->generation;
    replica->acquiring = true;
    if (replica->state != Replica::State::Suspect)
        replica->setState(Replica::State::Waiting);
    // No timeout of its own: it waits in the queue until connected, as any
    // message; a lost connection fails it and the next one acquires again.
    QFuture<Reply> answer = m_channel->call(replica->peer, Acquire,
        encode(QCborMap { { QStringLiteral("name"), replica->name } }),
        std::chrono::milliseconds(0));
    answer.then(replica->q, [replica, generation](const Reply &reply) {
        if (generation != replica->generation || !replica->node)
            return; // a newer acquire is on its way, or the node is gone
        replica->acquiring = false;
        if (reply.isOk()) {
            QCborValue value;
            QString why;
            if (!decodeItem(reply.message.data, &value, &why))
                return replica->fail(Replica::State::SourceGone, Error::ProtocolError,
                    QStringLiteral("acquire of \"%1\": the answer is malformed: %2")
                        .arg(replica->name, why));
            return replica->onAcquired(value);
        }
        const Error error = errorOf(reply);
        if (error == Error::ConnectionLost || error == Error::Timeout) {
            // Acquired again once connected (peerConnected()).
            replica->error = error;
            replica->errorString = reply.errorString;
            return;
        }
        replica->fail(Replica::State::SourceGone, error,
            QStringLiteral("acquire of \"%1\" failed: %2").arg(replica->name, reply.errorString));
    });
}

void ReplicaNode::onMessage(const Message &message)
{
    QString why;
    switch (message.type) {
    case Emission: {
        Emitted emitted;
        if (!decodeEmission(message.data, &emitted, &why))
            break;
        // A copy: a slot may delete replicas (and so detach them) meanwhile.
        const std::vector<ReplicaPrivate *> replicas = m_replicas;
        for (ReplicaPrivate *replica : replicas) {
            if (replica->peer != message.clientId || replica->handle != emitted.handle
                || std::find(m_replicas.begin(), m_replicas.end(), replica) == m_replicas.end())
                continue;
            replica->onEmission(emitted);
        }
        return;
    }
    case Withdrawn: {
        quint64 handle = 0;
        QString reason;
        if (!decodeWithdrawn(message.data, &handle, &reason, &why))
            break;
        const std::vector<ReplicaPrivate *> replicas = m_replicas;
        for (ReplicaPrivate *replica : replicas) {
            if (replica->peer == message.clientId && replica->handle == handle
                && std::find(m_replicas.begin(), m_replicas.end(), replica) != m_replicas.end())
                replica->fail(Replica::State::SourceGone, Error::ObjectNotFound,
                    QStringLiteral("\"%1\" was withdrawn by its source: %2")
                        .arg(replica->name, reason));
        }
        return;
    }
    case Missed: {
        MissedEmissions missed;
        if (!decodeMissed(message.data, &missed, &why))
            break;
        const std::vector<ReplicaPrivate *> replicas = m_replicas;
        for (ReplicaPrivate *replica : replicas) {
            if (replica->peer == message.clientId && replica->handle == missed.handle
                && std::find(m_replicas.begin(), m_replicas.end(), replica) != m_replicas.end())
                replica->onMissed(missed);
        }
        return;
    }
    default:
        why = QStringLiteral("%1 is not an operation a replica takes").arg(opName(message.type));
    }
    m_channel->report(message.clientId, Error::ProtocolError,
        QStringLiteral("object message refused: %1").arg(why));
}

void ReplicaNode::peerConnected(quint64 peer, bool sourceRestarted)
{
    const std::vector<ReplicaPrivate *> replicas = m_replicas;
    for (ReplicaPrivate *replica : replicas) {
        if (replica->peer != peer
            || std::find(m_replicas.begin(), m_replicas.end(), replica) == m_replicas.end())
            continue;
        const bool acquiring = replica->acquiring;
        if (sourceRestarted) {
            acquire(replica); // a new source, whose interface may match now
        } else if (replica->state == Replica::State::Suspect && !acquiring) {
            replica->setState(Replica::State::Valid); // resumed: nothing was missed
        } else if (replica->state != Replica::State::Valid
            && replica->state != Replica::State::InterfaceMismatch && !acquiring) {
            acquire(replica);
        }
    }
}

void ReplicaNode::peerDisconnected(quint64 peer)
{
    const std::vector<ReplicaPrivate *> replicas = m_replicas;
    for (ReplicaPrivate *replica : replicas) {
        if (replica->peer == peer && replica->state == Replica::State::Valid)
            replica->setState(Replica::State::Suspect);
    }
}

void ReplicaNode::peerGone(quint64 peer)
{
    const std::vector<ReplicaPrivate *> replicas = m_replicas;
    for (ReplicaPrivate *replica : replicas) {
        if (replica->peer == peer
            && std::find(m_replicas.begin(), m_replicas.end(), replica) != m_replicas.end())
            replica->fail(Replica::State::SourceGone, Error::ConnectionLost,
                QStringLiteral("\"%1\": its peer went away").arg(replica->name));
    }
}

void ReplicaNode::peerRenamed(quint64 from, quint64 to)
{
    for (ReplicaPrivate *replica : m_replicas) {
        if (replica->peer == from)
            replica->peer = to;
    }
}

} // namespace ipc::objects
