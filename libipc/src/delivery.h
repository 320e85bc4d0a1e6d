// DeliveryLedger: what one side knows about the messages exchanged with one
// logical peer, kept across that peer's connections so that a dropped
// connection can resume (docs/PROTOCOL.md, "Acknowledgements and
// resumption").
//
// Outgoing: messages accepted but not yet written wait in the queue; written
// messages wait in the window until the peer acknowledges them. Both hold the
// caller's QByteArray by reference. Sequence numbers are implicit: the
// window's first message is acknowledged() + 1.
// Incoming: the peer's stream id, how many of its messages were handed to
// the application, and how many of those the peer has been told about.
#pragma once

#include "wire/control.h"

#include <ipc/message.h>

#include <QByteArray>
#include <QList>

#include <deque>
#include <tuple>
#include <vector>

namespace ipc {

class DeliveryLedger
{
public:
    struct Limits
    {
        int windowMessages = 65536;
        qint64 windowBytes = 16 * 1024 * 1024;
        int queueLimit = 1024;
        qint64 queueBytes = 64 * 1024 * 1024; // 0: no limit in bytes
    };
    // Running totals of what happened to this peer's messages, for
    // telemetry: counted at rare events (a refusal, a reconnection, a
    // hand-back), never per message.
    struct Totals
    {
        quint64 resumptions = 0; // connections that picked up where one before left off
        quint64 resent = 0;      // messages written again by those
        quint64 handedBack = 0;  // application messages moved to the undelivered list
        quint64 refused = 0;     // writes refused because the queue was full
        quint64 backPressure = 0; // times writes stopped being accepted
        bool writable = true;
        auto fields() const { return std::tie(resumptions, resent, handedBack, refused, backPressure, writable); }
        bool operator==(const Totals &other) const { return fields() == other.fields(); }
    };
    struct Pending
    {
        qint32 type;
        QByteArray data;
        wire::Correlation tag = {}; // a request or a reply: sent again with its tag
    };

    explicit DeliveryLedger(const Limits &limits);

    const Limits &limits() const { return m_limits; }
    const Totals &totals() const { return m_totals; }
    Totals &totals() { return m_totals; }
    // The peer knew this ledger's stream: the connection resumed, and the
    // `resent` messages written again at its start reached a peer that skips
    // those it had.
    void resumed(qsizetype resent)
    {
        ++m_totals.resumptions;
        m_totals.resent += quint64(resent);
    }
    quint64 stream() const { return m_stream; }

    // --- outgoing
    // Whether the connection in use acknowledges. Without acknowledgements a
    // written message counts as delivered at once and the window stays empty.
    void setAcknowledging(bool on) { m_acknowledging = on; }
    bool isAcknowledging() const { return m_acknowledging; }
    bool windowHasRoom() const
    {
        return !m_acknowledging
            || (qsizetype(m_window.size()) < m_limits.windowMessages
                && m_windowBytes < m_limits.windowBytes);
    }
    // Whether a message of `size` bytes finds no room in the queue: by
    // count, or by bytes (an empty queue takes any one message).
    bool queueIsFull(qsizetype size = 0) const
    {
        return qsizetype(m_queue.size()) >= m_limits.queueLimit
            || (m_limits.queueBytes > 0 && !m_queue.empty()
                && m_queuedBytes + size > m_limits.queueBytes);
    }
    // Below half of both limits: worth telling writers there is room again.
    bool queueHasDrained() const
    {
        return int(m_queue.size()) <= m_limits.queueLimit / 2
            && (m_limits.queueBytes <= 0 || m_queuedBytes <= m_limits.queueBytes / 2);
    }
    void enqueue(Pending message)
    {
        m_queuedBytes += message.data.size();
        m_queue.push_back(std::move(message));
    }
    const std::deque<Pending> &queue() const { return m_queue; }
    // The queue's first message cannot travel to this peer: it goes to the
    // undelivered list.
    void queueFrontUndeliverable()
    {
        m_queuedBytes -= m_queue.front().data.size();
        m_totals.handedBack += m_queue.front().tag.isObjectTraffic() ? 0 : 1;
        m_undelivered.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
    }
    const std::deque<Pending> &window() const { return m_window; }
    qint64 windowBytes() const { return m_windowBytes; }
    // A message was written on an acknowledging connection.
    void written(qint32 type, const QByteArray &data, const wire::Correlation &tag)
    {
        m_window.push_back(Pending { type, data, tag });
        m_windowBytes += data.size();
    }
    // The queue's first message was written: into the window, or gone when
    // the connection does not acknowledge.
    void sentFromQueue()
    {
        m_queuedBytes -= m_queue.front().data.size();
        if (m_acknowledging) {
            m_windowBytes += m_queue.front().data.size();
            m_window.push_back(std::move(m_queue.front()));
        }
        m_queue.pop_front();
    }
    quint64 acknowledged() const { return m_acknowledged; }
    quint64 firstUnacknowledged() const { return m_acknowledged + 1; }
    // The peer has delivered everything up to `delivered`: trims the window.
    // Returns how many messages this newly confirms, or -1 when `delivered`
    // is beyond what was ever written (a broken peer); *ofApplication, how
    // many of them the application wrote (not remote-object traffic).
    qsizetype acknowledge(quint64 delivered, qsizetype *ofApplication = nullptr);
    int unconfirmedCount() const { return int(m_window.size() + m_queue.size()); }
    // The same, without the remote-object layer's own messages: what the
    // application counts.
    int applicationUnconfirmedCount() const;
    qint64 queuedBytes() const { return m_queuedBytes; }
    // Gives up on the window (at-most-once after a server restart) or on
    // everything unconfirmed: the messages move to the undelivered list, in
    // order. Returns how many the application wrote (remote-object traffic
    // is not handed back: its replicas tell what happened).
    int dropWindow();
    // Back to the front of the queue, for a connection without acknowledgements.
    void requeueWindow();
    int dropAll();
    // Handed back to the application, oldest first.
    QList<Message> takeUndelivered(quint64 clientId);
    int undeliveredCount() const { return int(m_undelivered.size()); }
    // The ids of the requests still on their way (queue and window), and of
    // those given up (undelivered).
    std::vector<quint64> requestsOnTheirWay() const;
    // The peer restarted: the replies it would get answer requests of a
    // process that is gone (their ids would match the new one's). Only
    // while a new peer attaches, which numbers the window afresh.
    int dropReplies();
    // A request that timed out before it was written leaves the queue:
    // nobody waits for its answer any more. False when already written.
    bool withdrawQueuedRequest(quint64 id);
    std::vector<quint64> requestsGivenUp() const;

    // --- incoming
    quint64 peerStream() const { return m_peerStream; }
    quint64 delivered() const { return m_delivered; }
    // The peer's Resume: where its next message's sequence starts.
    void resumeIncoming(quint64 peerStream, quint64 firstSequence);
    // One message arrived: false for a duplicate of one already delivered
    // (re-sent after a reconnect), which is skipped.
    bool admit(qsizetype size)
    {
        if (++m_received <= m_delivered)
            return false;
        m_delivered = m_received;
        m_bytesSinceAck += size;
        return true;
    }
    bool ackPending() const { return m_delivered != m_ackedToPeer; }
    quint64 unackedToPeer() const { return m_delivered - m_ackedToPeer; }
    qint64 bytesSinceAck() const { return m_bytesSinceAck; }
    void ackSent()
    {
        m_ackedToPeer = m_delivered;
        m_bytesSinceAck = 0;
    }

private:
    Limits m_limits;
    Totals m_totals;
    quint64 m_stream;
    bool m_acknowledging = false;
    std::deque<Pending> m_queue;
    qint64 m_queuedBytes = 0; // the data of the messages in m_queue
    std::deque<Pending> m_window;
    qint64 m_windowBytes = 0;
    quint64 m_acknowledged = 0;
    std::deque<Pending> m_undelivered;

    quint64 m_peerStream = 0;
    quint64 m_received = 0; // sequence of the last message that arrived
    quint64 m_delivered = 0;
    quint64 m_ackedToPeer = 0;
    qint64 m_bytesSinceAck = 0;
};

} // namespace ipc
