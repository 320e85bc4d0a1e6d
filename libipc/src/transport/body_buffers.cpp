#include "transport/body_buffers.h"
#include "transport/memory_file.h"

namespace ipc::transport {

namespace {

// From this size on, fresh bodies ask for huge pages.
constexpr qsizetype HugePagesFrom = 4 << 20;

} // namespace

BodyBuffers::BodyBuffers(QObject *owner, std::chrono::milliseconds kept)
{
    m_timer.setParent(owner); // moveToThread() takes it along
    m_timer.setInterval(kept);
    QObject::connect(&m_timer, &QTimer::timeout, owner, [this] {
        if (!std::exchange(m_wanted, false))
            release();
    });
}

QByteArray BodyBuffers::take(qsizetype size)
{
    QByteArray spare = std::exchange(m_spare, QByteArray());
    if (spare.isDetached() && spare.capacity() >= size && spare.capacity() / 2 <= size) {
        spare.resize(size);
        return spare;
    }
    QByteArray fresh(size, Qt::Uninitialized);
    if (size >= HugePagesFrom)
        MemoryFile::preferHugePages(fresh.data(), size);
    return fresh;
}

void BodyBuffers::keep(const QByteArray &body)
{
    m_spare = body;
    m_wanted = true;
    if (!m_timer.isActive())
        m_timer.start();
}

void BodyBuffers::release()
{
    m_timer.stop();
    m_spare = QByteArray();
}

} // namespace ipc::transport
