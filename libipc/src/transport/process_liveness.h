// Whether a local peer's process is gone: the kernel told its pid when it
// connected (PeerCredentials). A peer that is gone can never resume its
// connection, so its server need not wait resumeTimeout for it. Nothing is
// claimed that cannot be proved: an unknown pid (TCP, the portable
// transport) is never "gone", and the server then waits as before.
#pragma once

#include <QObject>

#include <functional>
#include <memory>

namespace ipc::transport {

// True when no process, or only a zombie, has `pid` now.
bool processIsGone(qint64 pid);

// Calls onExit once, from the event loop, when the process `pid` ends (at
// once if it already has). Null when the system cannot watch it; deleting
// the returned object stops the watch.
std::unique_ptr<QObject> watchProcessExit(qint64 pid, std::function<void()> onExit);

} // namespace ipc::transport
