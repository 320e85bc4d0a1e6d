#include "telemetry/probe.h"

#include <QDateTime>

namespace ipc::telemetry {

Probe::Counter &Probe::counterFor(Direction direction, qint32 type)
{
    if (m_last < m_counters.size() && m_counters[m_last].type == type && m_counters[m_last].direction == direction)
        return m_counters[m_last];
    if (m_counters.size() >= MaxCounters)
        type = 0; // "other types": a peer cannot make this grow without bound
    for (std::size_t i = 0; i < m_counters.size(); ++i) {
        if (m_counters[i].type == type && m_counters[i].direction == direction) {
            m_last = i;
            return m_counters[i];
        }
    }
    m_counters.push_back(Counter{type, direction});
    m_last = m_counters.size() - 1;
    return m_counters.back();
}

void Probe::record(Direction direction, qint32 type, const QByteArray &data)
{
    const quint64 size = quint64(data.size());
    std::lock_guard<std::mutex> guard(m_lock);
    Counter &counter = counterFor(direction, type);
    if (counter.count == 0 || size < counter.minSize)
        counter.minSize = size;
    if (size > counter.maxSize)
        counter.maxSize = size;
    ++counter.count;
    counter.bytes += size;
    if (m_samplesLeft <= 0) {
        ++m_droppedSamples;
        return;
    }
    --m_samplesLeft;
    QCborArray sample{QDateTime::currentMSecsSinceEpoch(), qint64(m_id), int(direction), type, qint64(size)};
    if (m_reportPayloads)
        sample.append(data.left(PayloadPreview));
    m_samples.append(sample);
}

void Probe::collect(QCborArray *rows, QCborArray *samples, quint64 *droppedSamples)
{
    std::lock_guard<std::mutex> guard(m_lock);
    for (Counter &counter : m_counters) {
        if (counter.count == 0)
            continue;
        rows->append(QCborArray{qint64(m_id), int(counter.direction), counter.type, qint64(counter.count),
                                qint64(counter.bytes), qint64(counter.minSize), qint64(counter.maxSize)});
        counter.count = counter.bytes = counter.minSize = counter.maxSize = 0;
    }
    for (const QCborValue &sample : m_samples)
        samples->append(sample);
    m_samples = QCborArray();
    m_samplesLeft = SamplesPerCollection;
    *droppedSamples += m_droppedSamples;
    m_droppedSamples = 0;
}

} // namespace ipc::telemetry
