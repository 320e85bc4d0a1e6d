#include "delivery.h"

#include <algorithm>

#include <QRandomGenerator>

namespace ipc {

namespace {

// Never 0, which on the wire means "no stream".
quint64 newStreamId()
{
    quint64 id = 0;
    while (id == 0)
        id = QRandomGenerator::system()->generate64();
    return id;
}

} // namespace

DeliveryLedger::DeliveryLedger(const Limits &limits)
    : m_limits(limits)
    , m_stream(newStreamId())
{
}

qsizetype DeliveryLedger::acknowledge(quint64 delivered, qsizetype *ofApplication)
{
    if (ofApplication)
        *ofApplication = 0;
    if (delivered <= m_acknowledged)
        return 0; // old news: a resume that crossed an ack
    const quint64 count = delivered - m_acknowledged;
    if (count > m_window.size())
        return -1;
    qsizetype application = 0;
    for (quint64 i = 0; i < count; ++i) {
        m_windowBytes -= m_window.front().data.size();
        application += m_window.front().tag.isObjectTraffic() ? 0 : 1;
        m_window.pop_front();
    }
    m_acknowledged = delivered;
    if (ofApplication)
        *ofApplication = application;
    return qsizetype(count);
}

namespace {

int applicationMessages(const std::deque<DeliveryLedger::Pending> &messages)
{
    return int(std::count_if(messages.begin(), messages.end(),
                             [](const DeliveryLedger::Pending &message) { return !message.tag.isObjectTraffic(); }));
}

} // namespace

int DeliveryLedger::applicationUnconfirmedCount() const
{
    return applicationMessages(m_window) + applicationMessages(m_queue);
}

int DeliveryLedger::dropWindow()
{
    const int count = applicationMessages(m_window);
    m_acknowledged += m_window.size(); // the sequence goes on after them
    for (Pending &message : m_window)
        m_undelivered.push_back(std::move(message));
    m_window.clear();
    m_windowBytes = 0;
    m_totals.handedBack += quint64(count);
    return count;
}

void DeliveryLedger::requeueWindow()
{
    m_acknowledged += m_window.size();
    m_queuedBytes += m_windowBytes;
    m_queue.insert(m_queue.begin(), std::make_move_iterator(m_window.begin()),
        std::make_move_iterator(m_window.end()));
    m_window.clear();
    m_windowBytes = 0;
}

int DeliveryLedger::dropAll()
{
    const int queued = applicationMessages(m_queue);
    m_totals.handedBack += quint64(queued);
    const int count = dropWindow() + queued;
    for (Pending &message : m_queue)
        m_undelivered.push_back(std::move(message));
    m_queue.clear();
    m_queuedBytes = 0;
    return count;
}

QList<Message> DeliveryLedger::takeUndelivered(quint64 clientId)
{
    QList<Message> messages;
    messages.reserve(qsizetype(m_undelivered.size()));
    for (Pending &message : m_undelivered) { // a request comes back plain: its future has ended
        if (message.tag.isObjectTraffic())
            continue; // the remote-object layer's own traffic: its replicas say what happened
        messages.append(Message { message.type, std::move(message.data), clientId });
    }
    m_undelivered.clear();
    return messages;
}

void DeliveryLedger::resumeIncoming(quint64 peerStream, quint64 firstSequence)
{
    if (peerStream != m_peerStream) {
        // Another stream (a new peer process, or one that lost our state):
        // everything from it is new.
        m_peerStream = peerStream;
        m_delivered = firstSequence - 1;
        m_ackedToPeer = m_delivered;
    } else if (firstSequence > m_delivered + 1) {
        // The peer gave up on some messages (at most once): none are coming.
        m_delivered = firstSequence - 1;
        m_ackedToPeer = m_delivered;
    }
    // Otherwise the re-sent messages up to m_delivered are duplicates.
    m_received = firstSequence - 1;
    m_bytesSinceAck = 0;
}

namespace {

void collectRequests(const std::deque<DeliveryLedger::Pending> &messages, std::vector<quint64> *ids)
{
    for (const DeliveryLedger::Pending &message : messages) {
        if (message.tag.expectsAnswer())
            ids->push_back(message.tag.id);
    }
}

} // namespace

int DeliveryLedger::dropReplies()
{
    const auto isReply = [](const Pending &message) {
        return message.tag.kind == wire::Correlation::Reply
            || message.tag.kind == wire::Correlation::ErrorReply;
    };
    int dropped = 0;
    for (std::deque<Pending> *messages : { &m_window, &m_queue }) {
        const auto end = std::remove_if(messages->begin(), messages->end(), isReply);
        dropped += int(messages->end() - end);
        messages->erase(end, messages->end());
    }
    m_windowBytes = 0;
    for (const Pending &message : m_window)
        m_windowBytes += message.data.size();
    m_queuedBytes = 0;
    for (const Pending &message : m_queue)
        m_queuedBytes += message.data.size();
    return dropped;
}

bool DeliveryLedger::withdrawQueuedRequest(quint64 id)
{
    const auto it = std::find_if(m_queue.begin(), m_queue.end(), [id](const Pending &message) {
        return message.tag.expectsAnswer() && message.tag.id == id;
    });
    if (it == m_queue.end())
        return false;
    m_queuedBytes -= it->data.size();
    m_queue.erase(it);
    return true;
}

std::vector<quint64> DeliveryLedger::requestsOnTheirWay() const
{
    std::vector<quint64> ids;
    collectRequests(m_window, &ids);
    collectRequests(m_queue, &ids);
    return ids;
}

std::vector<quint64> DeliveryLedger::requestsGivenUp() const
{
    std::vector<quint64> ids;
    collectRequests(m_undelivered, &ids);
    return ids;
}

} // namespace ipc
