// RequestTracker: the requests one side has sent and not yet seen end.
// Each ends exactly once: with its reply, an error reply, its timeout, or
// when the owner fails it (connection given up, closed, the peer gone).
// Deadlines live in one ordered map behind one timer, so a request costs no
// timer of its own.
#pragma once

#include "cross_thread.h"

#include <ipc/reply.h>
#include <ipc/telemetry.h>

#include <QElapsedTimer>
#include <QFuture>
#include <QObject>
#include <QPromise>
#include <QTimer>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace ipc {

class RequestTracker : public QObject
{
public:
    explicit RequestTracker(QObject *parent = nullptr);
    ~RequestTracker() override; // what is still open fails: its owner is gone

    // A new request to `peer` (a client id on a server, 0 on a client); its
    // id goes on the wire. A timeout of 0 or less waits without a limit.
    quint64 open(quint64 peer, std::chrono::milliseconds timeout, QFuture<Reply> *future);
    // The same with a promise made elsewhere (a request from another thread,
    // whose future its caller already holds); started by its maker.
    quint64 open(quint64 peer, std::chrono::milliseconds timeout, QPromise<Reply> promise);
    // The reply (or error reply) for `id` from `peer`; false when no such
    // request to that peer is open (it ended already, e.g. timed out).
    bool finish(quint64 id, quint64 peer, Reply reply);
    // False when a continuation deleted the tracker (and its owner).
    bool fail(quint64 id, Error error, const QString &reason);
    void failAll(Error error, const QString &reason);
    // For destructors: every open request ends canceled (its future holds a
    // Reply with `error`), so continuations attached with then() never run
    // while the owner is half destroyed. Runs no user code but onCanceled()
    // handlers.
    void cancelAll(Error error, const QString &reason);
    void failPeer(quint64 peer, Error error, const QString &reason);
    // Fails every open request of `peer` except those in `onTheirWay`
    // (requests that will still be sent or re-sent).
    void failDeliveredTo(
        quint64 peer, const std::vector<quint64> &onTheirWay, Error error, const QString &reason);
    // A client that resumed under a new id keeps its requests.
    void reassign(quint64 from, quint64 to);
    int openCount() const { return int(m_open.size()); }
    // Called after a request ended (timedOut: by its own timeout), once the
    // tracker is consistent again: its owner withdraws a request still
    // queued, or finishes a graceful disconnect.
    std::function<void(quint64 id, quint64 peer, bool timedOut)> ended;

    // Times the open request `id` for telemetry: when it ends, `timed` hears
    // how and after how long. Untimed requests cost no clock reading.
    void time(quint64 id, qint32 type, quint64 label);
    std::function<void(quint64 peer, qint32 type, quint64 label, telemetry::RequestOutcome outcome,
                       qint64 nanoseconds)>
        timed;

    // A request that ended before it began (refused at once).
    static QFuture<Reply> failed(Error error, const QString &reason);
    static void fail(QPromise<Reply> &promise, Error error, const QString &reason);

private:
    using Deadlines = std::multimap<qint64, quint64>;
    struct Open
    {
        QPromise<Reply> promise;
        quint64 peer = 0;
        Deadlines::iterator deadline;
        bool hasDeadline = false;
        qint64 timeoutMs = 0;
        qint64 startedNs = -1; // timed: when it opened
        qint32 type = 0;
        quint64 label = 0;
    };
    bool end(std::unordered_map<quint64, Open>::iterator it, Reply reply, bool timedOut = false);
    void failWhere(const std::function<bool(quint64 id, quint64 peer)> &doomed, Error error, const QString &reason);
    void onTimer();
    void arm();

    std::unordered_map<quint64, Open> m_open;
    Deadlines m_deadlines; // when, which
    QTimer m_timer;
    QElapsedTimer m_clock;
    quint64 m_lastId;
};

// request() on either side, from any thread: start(promise) runs now in
// the owner's thread, or is carried there (the caller already holds the
// future). Refused when too many calls from other threads wait.
template <typename Start>
QFuture<Reply> startRequest(CrossThreadWrites &foreign, Start start)
{
    QPromise<Reply> promise;
    promise.start();
    QFuture<Reply> future = promise.future();
    if (!foreign.fromOtherThread()) {
        start(std::move(promise));
        return future;
    }
    auto carried = std::make_shared<QPromise<Reply>>(std::move(promise));
    if (!foreign.post([start, carried] { start(std::move(*carried)); }, [] {}))
        RequestTracker::fail(*carried, Error::WriteQueueFull,
                             QStringLiteral("request refused: %1 calls from other threads already wait")
                                 .arg(foreign.limit()));
    return future;
}

} // namespace ipc
