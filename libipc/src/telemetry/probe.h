// One connection's telemetry, filled by the connection's thread and
// collected by the reporter's: exact per-type, per-direction counters folded
// in place, and a few sampled message events. One uncontended lock and no
// allocation per message once a type has been seen; bounded however many
// types a peer sends.
#pragma once

#include <ipc/telemetry.h>

#include <QByteArray>
#include <QCborArray>

#include <mutex>
#include <vector>

namespace ipc::telemetry {

class Probe
{
public:
    // Counter rows kept per connection; later types share one row of type 0.
    static constexpr std::size_t MaxCounters = 256;
    // Sampled messages per connection between two collections.
    static constexpr int SamplesPerCollection = 50;
    static constexpr int PayloadPreview = 64;

    Probe(quint64 id, bool reportPayloads)
        : m_id(id)
        , m_reportPayloads(reportPayloads)
    {
    }

    quint64 id() const { return m_id; }

    void record(Direction direction, qint32 type, const QByteArray &data);

    // Appends the counter rows changed since the last collection and the
    // samples taken, resets both, and adds the samples it had to drop.
    void collect(QCborArray *rows, QCborArray *samples, quint64 *droppedSamples);

private:
    struct Counter
    {
        qint32 type;
        Direction direction;
        quint64 count = 0;
        quint64 bytes = 0;
        quint64 minSize = 0;
        quint64 maxSize = 0;
    };
    Counter &counterFor(Direction direction, qint32 type);

    const quint64 m_id;
    const bool m_reportPayloads;
    std::mutex m_lock;
    std::vector<Counter> m_counters;
    std::size_t m_last = 0; // the row the previous message used: streams repeat a type
    QCborArray m_samples;
    int m_samplesLeft = SamplesPerCollection;
    quint64 m_droppedSamples = 0;
};

} // namespace ipc::telemetry
