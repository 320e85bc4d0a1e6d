#include "cross_thread.h"

#include "logging.h"

#include <QPointer>

namespace ipc {

CrossThreadWrites::CrossThreadWrites(QObject *owner, int limit)
    : QObject(owner)
    , m_limit(qMax(limit, 1))
{
}

CrossThreadWrites::~CrossThreadWrites()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    const qsizetype dropped = qsizetype(m_calls.size()) - (m_refusalPending ? 1 : 0);
    if (dropped > 0)
        qCWarning(lcWire).noquote() << dropped << "write(s) from other threads dropped: the object was destroyed "
                                                 "before its own thread could write them";
}

// The owner's thread is remembered by the first call made on it (again
// after each move, which changes thread()).
bool CrossThreadWrites::learnOwnerThread(QThread *owner)
{
    if (QThread::currentThread() != owner)
        return false;
    m_ownerThreadId.store(QThread::currentThreadId(), std::memory_order_relaxed);
    m_ownerThread.store(owner, std::memory_order_release);
    return true;
}

bool CrossThreadWrites::post(std::function<void()> call, std::function<void()> refused)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    const bool accepted = int(m_calls.size()) < m_limit;
    if (accepted) {
        m_calls.push_back(std::move(call));
    } else if (!m_refusalPending) {
        m_refusalPending = true;
        m_calls.push_back(std::move(refused)); // after what was accepted, so in order
    } else {
        return false;
    }
    // One wake-up at a time, posted under the lock: posting is thread-safe
    // in Qt, and the lock lets ThreadSanitizer see that too.
    if (!m_wakePosted) {
        m_wakePosted = true;
        QMetaObject::invokeMethod(this, "drain", Qt::QueuedConnection);
    }
    return accepted;
}

void CrossThreadWrites::drain()
{
    std::deque<std::function<void()>> calls;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        calls.swap(m_calls);
        m_wakePosted = false;
        m_refusalPending = false;
    }
    const QPointer<CrossThreadWrites> alive(this);
    for (std::function<void()> &call : calls) {
        call();
        if (!alive)
            return; // a slot deleted the object: what is left goes with it
    }
}

} // namespace ipc
