// The blocking serve / eat / pause: each runs its task in a local event loop.
#include "wait.h"

#include <ipc/minipc.h>

#include <QCoreApplication>

namespace ipc {

namespace {

// Sockets and timers need an application object; a plain main() has none.
void ensureApplication()
{
    if (QCoreApplication::instance())
        return;
    static int argc = 1;
    static char name[] = "libipc";
    static char *argv[] = {name, nullptr};
    static QCoreApplication *application = new QCoreApplication(argc, argv);
    Q_UNUSED(application)
}

template <typename Task>
void runToEnd(Task &task, const MinipcOptions &options)
{
    // The task enforces options.timeout itself; this bound only guards
    // against a task that never reports.
    const auto bound = options.timeout.count() > 0 ? options.timeout + std::chrono::seconds(30)
                                                   : std::chrono::milliseconds(std::numeric_limits<int>::max());
    waitUntil(bound, [&task] { return task.isFinished(); }, &task, &Task::finished);
}

} // namespace

MinipcResult serve(const QString &address, const QByteArray &message, int broadcast,
                   const ServeCallback &callback, const MinipcOptions &options)
{
    ensureApplication();
    ServeTask task(address, message, broadcast, options);
    task.setCallback(callback);
    if (task.start())
        runToEnd(task, options);
    return task.result();
}

MinipcResult eat(const QString &address, const EatCallback &callback, const MinipcOptions &options)
{
    ensureApplication();
    EatTask task(address, options);
    task.setCallback(callback);
    task.start();
    runToEnd(task, options);
    return task.result();
}

namespace detail {

void pause(std::chrono::milliseconds duration)
{
    ensureApplication();
    QEventLoop loop;
    QTimer::singleShot(duration, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace detail

} // namespace ipc
