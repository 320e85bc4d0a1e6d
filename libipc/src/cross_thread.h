// Writes made from a thread other than the object's: each waits in one
// queue that the object's thread drains, so one thread's writes keep their
// order, and no more than a limit may wait at once (memory stays bounded
// however fast another thread produces). The queue's mutex is what orders
// the two threads, visibly to ThreadSanitizer too: the wake-up carries no
// data of its own (Qt's event queue synchronises inside Qt, which an
// uninstrumented Qt hides from the sanitizer).
#pragma once

#include <QObject>
#include <QThread>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>

namespace ipc {

class CrossThreadWrites : public QObject
{
    Q_OBJECT

public:
    // A child of owner, so it follows owner to another thread.
    CrossThreadWrites(QObject *owner, int limit);
    // Writes still on their way are dropped, and a warning says how many.
    ~CrossThreadWrites() override;

    // Whether the caller runs in another thread than the owner's. Cheap on
    // the owner's own thread: its thread and thread id, remembered, are
    // compared with thread() (this follows the owner when it moves) and the
    // caller's id, without QThread::currentThread()'s thread-local lookup.
    bool fromOtherThread()
    {
        QThread *owner = thread();
        if (m_ownerThread.load(std::memory_order_acquire) == owner
            && m_ownerThreadId.load(std::memory_order_relaxed) == QThread::currentThreadId())
            return false;
        return !learnOwnerThread(owner);
    }

    // Queues call for owner's thread; false when `limit` calls already wait.
    // refused() runs in owner's thread, once per stretch of refusals.
    bool post(std::function<void()> call, std::function<void()> refused);
    int limit() const { return m_limit; }

private Q_SLOTS:
    void drain();

private:
    bool learnOwnerThread(QThread *owner);

    // Stored id first, then thread (release): who sees the thread sees its id.
    std::atomic<Qt::HANDLE> m_ownerThreadId{nullptr};
    std::atomic<QThread *> m_ownerThread{nullptr};
    std::mutex m_mutex;
    std::deque<std::function<void()>> m_calls;
    bool m_wakePosted = false;
    bool m_refusalPending = false;
    const int m_limit;
};

} // namespace ipc
