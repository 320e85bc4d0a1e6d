#include "requests.h"

#include <algorithm>

namespace ipc {

RequestTracker::RequestTracker(QObject *parent)
    : QObject(parent)
{
    m_clock.start();
    m_timer.setSingleShot(true);
    m_timer.setParent(this);
    connect(&m_timer, &QTimer::timeout, this, &RequestTracker::onTimer);
}

RequestTracker::~RequestTracker()
{
    ended = nullptr; // the owner is gone
    failAll(Error::NotConnected,
        QStringLiteral("request abandoned: its client or server was destroyed"));
}

quint64 RequestTracker::open(
    quint64 peer, std::chrono::milliseconds timeout, QFuture<Reply> *future)
{
    const quint64 id = ++m_lastId;
    Open &entry = m_open[id];
    entry.peer = peer;
    entry.promise.start();
    *future = entry.promise.future();
    if (timeout.count() > 0) {
        entry.timeoutMs = timeout.count();
        entry.deadline = m_deadlines.emplace(m_clock.elapsed() + timeout.count(), id);
        entry.hasDeadline = true;
        if (entry.deadline == m_deadlines.begin())
            arm();
    }
    return id;
}

void RequestTracker::end(std::unordered_map<quint64, Open>::iterator it, Reply reply, bool timedOut)
{
    const quint64 id = it->first;
    Open entry = std::move(it->second);
    m_open.erase(it);
    if (entry.hasDeadline) {
        const bool wasFirst = entry.deadline == m_deadlines.begin();
        m_deadlines.erase(entry.deadline);
        if (wasFirst)
            arm();
    }
    // Continuations attached with then() may run here: the tracker's state
    // is consistent before the result is published.
    entry.promise.addResult(std::move(reply));
    entry.promise.finish();
    if (ended)
        ended(id, entry.peer, timedOut);
}

bool RequestTracker::finish(quint64 id, Reply reply)
{
    const auto it = m_open.find(id);
    if (it == m_open.end())
        return false;
    reply.message.requestId = 0;
    end(it, std::move(reply));
    return true;
}

void RequestTracker::fail(quint64 id, Error error, const QString &reason)
{
    const auto it = m_open.find(id);
    if (it == m_open.end())
        return;
    Reply reply;
    reply.error = error;
    reply.errorString = reason;
    end(it, std::move(reply));
}

void RequestTracker::failAll(Error error, const QString &reason)
{
    while (!m_open.empty())
        fail(m_open.begin()->first, error, reason);
}

void RequestTracker::failPeer(quint64 peer, Error error, const QString &reason)
{
    failDeliveredTo(peer, {}, error, reason);
}

void RequestTracker::failDeliveredTo(
    quint64 peer, const std::vector<quint64> &onTheirWay, Error error, const QString &reason)
{
    std::vector<quint64> doomed;
    for (const auto &entry : m_open) {
        if (entry.second.peer == peer
            && std::find(onTheirWay.begin(), onTheirWay.end(), entry.first) == onTheirWay.end())
            doomed.push_back(entry.first);
    }
    std::sort(doomed.begin(), doomed.end()); // oldest first
    for (const quint64 id : doomed)
        fail(id, error, reason);
}

void RequestTracker::reassign(quint64 from, quint64 to)
{
    for (auto &entry : m_open) {
        if (entry.second.peer == from)
            entry.second.peer = to;
    }
}

void RequestTracker::arm()
{
    if (m_deadlines.empty()) {
        m_timer.stop();
        return;
    }
    m_timer.start(int(qMax<qint64>(0, m_deadlines.begin()->first - m_clock.elapsed())));
}

void RequestTracker::onTimer()
{
    const qint64 now = m_clock.elapsed();
    while (!m_deadlines.empty() && m_deadlines.begin()->first <= now) {
        const auto it = m_open.find(m_deadlines.begin()->second);
        Reply reply;
        reply.error = Error::Timeout;
        reply.errorString = QStringLiteral("no reply within %1 ms").arg(it->second.timeoutMs);
        end(it, std::move(reply), true);
    }
    arm();
}

QFuture<Reply> RequestTracker::failed(Error error, const QString &reason)
{
    QPromise<Reply> promise;
    promise.start();
    Reply reply;
    reply.error = error;
    reply.errorString = reason;
    promise.addResult(std::move(reply));
    promise.finish();
    return promise.future();
}

} // namespace ipc
