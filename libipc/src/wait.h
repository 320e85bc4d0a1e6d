// Blocking helpers for scripts and tests: a local event loop that runs until
// a condition holds or the time is up. No busy waiting: the loop sleeps until
// one of the given signals or the timer wakes it.
#pragma once

#include <QEventLoop>
#include <QTimer>

#include <chrono>

namespace ipc {

template <typename Sender, typename Condition, typename... Signals>
bool waitUntil(std::chrono::milliseconds timeout, Condition done, Sender *sender, Signals... wakeups)
{
    // done() is called once per wake-up: it may consume what it checks for.
    bool satisfied = done();
    if (satisfied)
        return true;
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    (QObject::connect(sender, wakeups, &loop, &QEventLoop::quit), ...);
    timer.start(timeout);
    while (!satisfied && timer.isActive()) {
        loop.exec();
        satisfied = done();
    }
    return satisfied;
}

} // namespace ipc
