#include "transport/process_liveness.h"
#include "transport/capabilities.h"

#if IPC_LINUX_TRANSPORT
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace ipc::transport {

#if IPC_LINUX_TRANSPORT
namespace {

// A pidfd turns readable when its process exits (Linux 5.3 and later).
class ProcessExitWatch : public QObject
{
public:
    ProcessExitWatch(int pidfd, std::function<void()> onExit)
        : m_pidfd(pidfd)
        , m_notifier(pidfd, QSocketNotifier::Read, this)
        , m_onExit(std::move(onExit))
    {
        // Queued: onExit may delete this watch, which must not happen inside
        // its own notifier's signal.
        connect(&m_notifier, &QSocketNotifier::activated, this,
            [this] { m_notifier.setEnabled(false); });
        connect(&m_notifier, &QSocketNotifier::activated, this, [this] {
            QMetaObject::invokeMethod(
                this,
                [this] {
                    const auto onExit = m_onExit;
                    onExit();
                },
                Qt::QueuedConnection);
        });
    }
    ~ProcessExitWatch() override { ::close(m_pidfd); }

private:
    const int m_pidfd;
    QSocketNotifier m_notifier;
    std::function<void()> m_onExit;
};

} // namespace
#endif

bool processIsGone(qint64 pid)
{
#if IPC_LINUX_TRANSPORT
    // EPERM: another user's process, alive.
    return transport::linuxTransport() && pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
#else
    Q_UNUSED(pid)
    return false;
#endif
}

std::unique_ptr<QObject> watchProcessExit(qint64 pid, std::function<void()> onExit)
{
#if IPC_LINUX_TRANSPORT
    if (pid <= 0 || !transport::linuxTransport())
        return nullptr;
    const int pidfd = int(::syscall(SYS_pidfd_open, pid_t(pid), 0));
    if (pidfd < 0)
        return nullptr;
    return std::make_unique<ProcessExitWatch>(pidfd, std::move(onExit));
#else
    Q_UNUSED(pid)
    Q_UNUSED(onExit)
    return nullptr;
#endif
}

} // namespace ipc::transport
