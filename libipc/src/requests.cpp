#include "requests.h"

#include <QPointer>
#include <QRandomGenerator>

#include <algorithm>
#include <climits>
#include <unordered_set>

namespace ipc {

namespace {

// Longer than this is no limit: a deadline the clock cannot overflow.
constexpr qint64 LongestTimeoutMs = qint64(365) * 24 * 3600 * 1000;

} // namespace

RequestTracker::RequestTracker(QObject *parent)
    : QObject(parent)
    // A random start: an answer meant for an earlier incarnation of the
    // peer (a reply re-sent to a restarted process) matches nothing here.
    , m_lastId(QRandomGenerator::system()->generate64() >> 2)
{
    m_clock.start();
    m_timer.setSingleShot(true);
    m_timer.setParent(this);
    connect(&m_timer, &QTimer::timeout, this, &RequestTracker::onTimer);
}

RequestTracker::~RequestTracker()
{
    ended = nullptr; // the owner is gone
    timed = nullptr;
    failAll(Error::NotConnected, QStringLiteral("request abandoned: its client or server was destroyed"));
}

quint64 RequestTracker::open(quint64 peer, std::chrono::milliseconds timeout, QFuture<Reply> *future)
{
    QPromise<Reply> promise;
    promise.start();
    *future = promise.future();
    return open(peer, timeout, std::move(promise));
}

quint64 RequestTracker::open(quint64 peer, std::chrono::milliseconds timeout, QPromise<Reply> promise)
{
    const quint64 id = ++m_lastId;
    Open &entry = m_open[id];
    entry.peer = peer;
    entry.promise = std::move(promise);
    if (timeout.count() > 0 && timeout.count() <= LongestTimeoutMs) {
        entry.timeoutMs = timeout.count();
        entry.deadline = m_deadlines.emplace(m_clock.elapsed() + timeout.count(), id);
        entry.hasDeadline = true;
        if (entry.deadline == m_deadlines.begin())
            arm();
    }
    return id;
}

void RequestTracker::time(quint64 id, qint32 type, quint64 label)
{
    const auto it = m_open.find(id);
    if (it == m_open.end())
        return;
    it->second.startedNs = m_clock.nsecsElapsed();
    it->second.type = type;
    it->second.label = label;
}

namespace {

telemetry::RequestOutcome outcomeOf(const Reply &reply, bool timedOut)
{
    using telemetry::RequestOutcome;
    if (timedOut)
        return RequestOutcome::Timeout;
    switch (reply.error) {
    case Error::Timeout: // the client gave up connecting before it went out
        return RequestOutcome::Timeout;
    case Error::NoError: return RequestOutcome::Reply;
    case Error::RemoteError: return RequestOutcome::ErrorReply;
    case Error::ConnectionLost:
    case Error::NotConnected: return RequestOutcome::ConnectionLost;
    default: return RequestOutcome::Refused;
    }
}

} // namespace

// False when a continuation deleted the tracker (with its owner).
bool RequestTracker::end(std::unordered_map<quint64, Open>::iterator it, Reply reply, bool timedOut)
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
    if (entry.startedNs >= 0 && timed) // before any user code runs
        timed(entry.peer, entry.type, entry.label, outcomeOf(reply, timedOut),
              m_clock.nsecsElapsed() - entry.startedNs);
    // Continuations attached with then() may run inside finish() and may
    // delete the owner, and this tracker with it.
    const QPointer<RequestTracker> alive(this);
    entry.promise.addResult(std::move(reply));
    entry.promise.finish();
    if (!alive)
        return false;
    if (ended)
        ended(id, entry.peer, timedOut);
    return alive;
}

bool RequestTracker::finish(quint64 id, quint64 peer, Reply reply)
{
    const auto it = m_open.find(id);
    if (it == m_open.end() || it->second.peer != peer) // only the peer asked may answer
        return false;
    reply.message.requestId = 0;
    end(it, std::move(reply));
    return true;
}

bool RequestTracker::fail(quint64 id, Error error, const QString &reason)
{
    const auto it = m_open.find(id);
    if (it == m_open.end())
        return true;
    Reply reply;
    reply.error = error;
    reply.errorString = reason;
    return end(it, std::move(reply));
}

// Fails the requests open now, oldest first; those a continuation opens
// meanwhile are not part of it.
void RequestTracker::failWhere(const std::function<bool(quint64 id, quint64 peer)> &doomed, Error error,
                               const QString &reason)
{
    std::vector<quint64> ids;
    for (const auto &entry : m_open) {
        if (doomed(entry.first, entry.second.peer))
            ids.push_back(entry.first);
    }
    std::sort(ids.begin(), ids.end());
    for (const quint64 id : ids) {
        if (!fail(id, error, reason))
            return; // deleted by a continuation
    }
}

void RequestTracker::failAll(Error error, const QString &reason)
{
    failWhere([](quint64, quint64) { return true; }, error, reason);
}

void RequestTracker::failPeer(quint64 peer, Error error, const QString &reason)
{
    failWhere([peer](quint64, quint64 owner) { return owner == peer; }, error, reason);
}

void RequestTracker::failDeliveredTo(quint64 peer, const std::vector<quint64> &onTheirWay, Error error,
                                     const QString &reason)
{
    const std::unordered_set<quint64> kept(onTheirWay.begin(), onTheirWay.end());
    failWhere([&](quint64 id, quint64 owner) { return owner == peer && !kept.count(id); }, error, reason);
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
    const qint64 wait = qBound(qint64(0), qint64(m_deadlines.begin()->first - m_clock.elapsed()), qint64(INT_MAX));
    m_timer.start(int(wait));
}

void RequestTracker::onTimer()
{
    const QPointer<RequestTracker> alive(this);
    const qint64 now = m_clock.elapsed();
    while (alive && !m_deadlines.empty() && m_deadlines.begin()->first <= now) {
        const auto it = m_open.find(m_deadlines.begin()->second);
        Reply reply;
        reply.error = Error::Timeout;
        reply.errorString = QStringLiteral("no reply within %1 ms").arg(it->second.timeoutMs);
        if (!end(it, std::move(reply), true))
            return;
    }
    if (alive)
        arm();
}

QFuture<Reply> RequestTracker::failed(Error error, const QString &reason)
{
    QPromise<Reply> promise;
    promise.start();
    fail(promise, error, reason);
    return promise.future();
}

void RequestTracker::fail(QPromise<Reply> &promise, Error error, const QString &reason)
{
    Reply reply;
    reply.error = error;
    reply.errorString = reason;
    promise.addResult(std::move(reply));
    promise.finish();
}

void RequestTracker::cancelAll(Error error, const QString &reason)
{
    ended = nullptr;
    timed = nullptr;
    std::unordered_map<quint64, Open> open = std::exchange(m_open, {});
    m_deadlines.clear();
    m_timer.stop();
    for (auto &entry : open) {
        Reply reply;
        reply.error = error;
        reply.errorString = reason;
        entry.second.promise.addResult(std::move(reply));
        entry.second.promise.future().cancel();
        entry.second.promise.finish();
    }
}

} // namespace ipc
