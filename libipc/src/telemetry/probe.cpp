#include "telemetry/probe.h"

#include <QDateTime>

namespace ipc::telemetry {

Probe::Counter &Probe::findCounter(Direction direction, qint32 type)
{
    const int used = m_used.load(std::memory_order_relaxed);
    if (used >= MaxCounters - 1)
        type = 0; // "other types": a peer cannot make this grow
    for (int i = 0; i < used; ++i) {
        Counter &counter = m_counters[std::size_t(i)];
        if (counter.type == type && counter.direction == direction) {
            m_last = i;
            return counter;
        }
    }
    Counter &fresh = m_counters[std::size_t(used)];
    fresh.type = type;
    fresh.direction = direction;
    m_used.store(used + 1, std::memory_order_release); // the reader sees type and direction first
    m_last = used;
    return fresh;
}

void Probe::sample(Direction direction, qint32 type, const QByteArray &data)
{
    QCborArray sample{QDateTime::currentMSecsSinceEpoch(), qint64(m_id), int(direction), type, qint64(data.size())};
    if (m_reportPayloads)
        sample.append(data.left(PayloadPreview));
    std::lock_guard<std::mutex> guard(m_samplesLock);
    m_samples.append(sample);
}

void Probe::collect(QCborArray *rows, QCborArray *samples, quint64 *droppedSamples)
{
    const int used = m_used.load(std::memory_order_acquire);
    for (int i = 0; i < used; ++i) {
        Counter &counter = m_counters[std::size_t(i)];
        const quint64 count = counter.count.load(std::memory_order_relaxed);
        // Relaxed reads may lag the writer a little; whatever they miss is in
        // the next collection's deltas, so the totals stay exact.
        const quint64 bytes = counter.bytes.load(std::memory_order_relaxed);
        if (count == counter.reportedCount)
            continue;
        rows->append(QCborArray{qint64(m_id), int(counter.direction), counter.type,
                                qint64(count - counter.reportedCount), qint64(bytes - counter.reportedBytes),
                                qint64(counter.minSize.load(std::memory_order_relaxed)),
                                qint64(counter.maxSize.load(std::memory_order_relaxed))});
        counter.reportedCount = count;
        counter.reportedBytes = bytes;
    }
    {
        std::lock_guard<std::mutex> guard(m_samplesLock);
        for (const QCborValue &sample : m_samples)
            samples->append(sample);
        m_samples = QCborArray();
    }
    m_generation.fetch_add(1, std::memory_order_relaxed);
    const quint64 dropped = m_droppedSamples.load(std::memory_order_relaxed);
    *droppedSamples += dropped - m_droppedReported;
    m_droppedReported = dropped;
}

} // namespace ipc::telemetry
