#include "telemetry/probe.h"

#include "telemetry/object_traffic.h"

#include <QDateTime>

namespace ipc::telemetry {

Probe::~Probe() = default;

Probe::Counter &Probe::findCounter(Direction direction, qint32 type, quint64 label)
{
    const int used = m_used.load(std::memory_order_relaxed);
    if (used >= MaxCounters - 1) {
        type = 0; // "other types": a peer cannot make this grow
        label = 0;
    }
    for (int i = 0; i < used; ++i) {
        Counter &counter = m_counters[std::size_t(i)];
        if (counter.type == type && counter.direction == direction && counter.label == label) {
            m_last = i;
            return counter;
        }
    }
    Counter &fresh = m_counters[std::size_t(used)];
    fresh.type = type;
    fresh.direction = direction;
    fresh.label = label;
    m_used.store(used + 1, std::memory_order_release); // the reader sees the key first
    m_last = used;
    return fresh;
}

quint64 Probe::objectLabel(
    Direction direction, qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    using wire::Correlation;
    if (tag.kind == Correlation::Object) {
        const quint64 label = object_traffic::label(type, data);
        if (tag.id != 0) {
            if (!m_calls)
                m_calls = std::make_unique<CallTable>();
            (*m_calls)[std::size_t(direction)][tag.id % CallsRemembered]
                = RememberedCall { tag.id, label };
        }
        return label;
    }
    if ((tag.kind != Correlation::Reply && tag.kind != Correlation::ErrorReply) || !m_calls)
        return 0;
    // An answer we send ends a call we received, and the other way round.
    const Direction ofCall = direction == Direction::Sent ? Direction::Received : Direction::Sent;
    RememberedCall &call = (*m_calls)[std::size_t(ofCall)][tag.id % CallsRemembered];
    if (call.id != tag.id || call.label == 0)
        return 0; // a request's reply, or a call forgotten among many
    const quint64 label = object_traffic::answerLabel(call.label,
        tag.kind == Correlation::Reply ? object_traffic::Answer::Reply
                                       : object_traffic::Answer::ErrorReply);
    call = RememberedCall();
    return label;
}

void Probe::sample(Direction direction, qint32 type, const QByteArray &data, quint64 label,
                   const wire::Correlation &tag)
{
    Sample sample { QCborArray { QDateTime::currentMSecsSinceEpoch(), qint64(m_id), int(direction),
                        type, qint64(data.size()) },
        label, QCborValue(), wire::Correlation { tag.kind, 0, tag.id } };
    if (m_reportPayloads) {
        sample.row.append(data.left(PayloadPreview));
        if (label != 0)
            sample.arguments = object_traffic::arguments(label, data, ArgumentsLimit);
    }
    std::lock_guard<std::mutex> guard(m_samplesLock);
    m_samples.push_back(std::move(sample));
}

void Probe::collect(QCborArray *rows, QCborArray *samples, QCborArray *correlations, quint64 *droppedSamples,
                    const NameOf &nameOf)
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
        QCborArray row { qint64(m_id), int(counter.direction), counter.type,
            qint64(count - counter.reportedCount), qint64(bytes - counter.reportedBytes),
            qint64(counter.minSize.load(std::memory_order_relaxed)),
            qint64(counter.maxSize.load(std::memory_order_relaxed)) };
        if (counter.label != 0)
            row.append(nameOf(counter.label));
        rows->append(row);
        counter.reportedCount = count;
        counter.reportedBytes = bytes;
    }
    std::vector<Sample> taken;
    {
        std::lock_guard<std::mutex> guard(m_samplesLock);
        taken.swap(m_samples);
    }
    for (Sample &sample : taken) {
        if (sample.label != 0) {
            if (sample.row.size() == 5)
                sample.row.append(QCborValue(QCborValue::Null)); // no payload: its place kept
            sample.row.append(nameOf(sample.label));
            if (!sample.arguments.isUndefined())
                sample.row.append(sample.arguments);
        }
        if (sample.tag.isSet() && sample.tag.id != 0)
            correlations->append(QCborArray { samples->size(), int(sample.tag.kind), qint64(sample.tag.id) });
        samples->append(sample.row);
    }
    m_generation.fetch_add(1, std::memory_order_relaxed);
    const quint64 dropped = m_droppedSamples.load(std::memory_order_relaxed);
    *droppedSamples += dropped - m_droppedReported;
    m_droppedReported = dropped;
}

} // namespace ipc::telemetry
