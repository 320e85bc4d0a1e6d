// Runs a callback from the event loop instead of inside the signal that
// triggered it. serve's and eat's callbacks may block in Peer::receive(),
// which must not happen inside a socket's own signal (Qt does not re-emit
// readyRead recursively). A zero timer, unlike a posted event, also fires
// inside the nested event loops those blocking calls run.
#pragma once

#include <QTimer>

#include <utility>

namespace ipc {

template <typename Function>
void runLater(QObject *context, Function &&function)
{
    QTimer::singleShot(0, context, std::forward<Function>(function));
}

} // namespace ipc
