// Accepts from a listening socket descriptor (Unix): every waiting
// connection up to a bound per event-loop pass, and, when the process has no
// descriptor left, refuses the waiting ones at once instead of spinning or
// losing the listening socket.
#pragma once

#include <ipc/types.h>

#include <QObject>
#include <QSocketNotifier>
#include <QTimer>

namespace ipc::transport {

class AcceptLoop : public QObject
{
    Q_OBJECT

public:
    // Does not own `listening`.
    explicit AcceptLoop(int listening, QObject *parent = nullptr);
    ~AcceptLoop() override;

    // Connections refused for want of descriptors, in all.
    quint64 refusedCount() const { return m_refused; }

Q_SIGNALS:
    // A connected descriptor, nonblocking and close-on-exec; the slot owns it.
    void accepted(int descriptor);
    // Once per stretch of refusals (and once when accepting broke for
    // another reason): what happened, for a warning and errorOccurred().
    void trouble(ipc::Error error, const QString &reason);

private:
    void acceptWaiting();
    void refuseOne(int error);
    void pause();

    int m_listening;
    int m_spare = -1; // held back so that one waiting connection can be accepted and closed
    QSocketNotifier m_notifier;
    QTimer m_resume; // while paused: try again
    quint64 m_refused = 0;
    quint64 m_refusedInStretch = 0;
};

} // namespace ipc::transport
