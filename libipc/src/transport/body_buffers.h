// BodyBuffers: the buffers large message bodies are read into, straight
// from the stream. Fresh memory costs a page fault per page, more than the
// copy into it, so the last body's buffer is kept and reused once the
// application has let go of it; it goes back to the system when a whole
// period passes without a large body.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <chrono>

namespace ipc::transport {

class BodyBuffers
{
public:
    explicit BodyBuffers(QObject *owner, std::chrono::milliseconds kept = std::chrono::seconds(1));

    // A buffer of `size` bytes (not initialised): the kept one when nobody
    // else holds it and it is not much larger, else fresh memory.
    QByteArray take(qsizetype size);
    // The body just filled, handed to the application: shared until it
    // lets go of it.
    void keep(const QByteArray &body);
    // Gives the kept buffer back now.
    void release();

private:
    QTimer m_timer;
    QByteArray m_spare;
    bool m_wanted = false; // a large body came since the timer last fired
};

} // namespace ipc::transport
