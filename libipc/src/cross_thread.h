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

    // Whether the caller runs in another thread than the owner's. Cheap on
    // the owner's own thread: one compare with its remembered thread id.
    bool fromOtherThread()
    {
        const Qt::HANDLE me = QThread::currentThreadId();
        return me != m_ownerThread.load(std::memory_order_relaxed) && !learnOwnerThread(me);
    }

    // Queues call for owner's thread; false when `limit` calls already wait.
    // refused() runs in owner's thread, once per stretch of refusals.
    bool post(std::function<void()> call, std::function<void()> refused);
    int limit() const { return m_limit; }

protected:
    bool event(QEvent *event) override;

private Q_SLOTS:
    void drain();

private:
    bool learnOwnerThread(Qt::HANDLE me);

    std::atomic<Qt::HANDLE> m_ownerThread{nullptr};
    std::mutex m_mutex;
    std::deque<std::function<void()>> m_calls;
    bool m_wakePosted = false;
    bool m_refusalPending = false;
    const int m_limit;
};

} // namespace ipc
