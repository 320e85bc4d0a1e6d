// One connection's telemetry, written by the connection's thread and read by
// the reporter's: exact per-type, per-direction counters folded in place,
// and a few sampled message events. The counters have a single writer, so a
// message costs plain (relaxed atomic) loads and stores, no lock and no
// allocation; the reader turns their running totals into deltas. Bounded
// however many types a peer sends. Remote-object traffic is counted per
// object member (its label), and named when collected.
#pragma once

#include "wire/control.h"

#include <ipc/telemetry.h>

#include <QByteArray>
#include <QCborArray>

#include <array>
#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

namespace ipc::telemetry {

class Probe
{
public:
    // Counter rows per connection; messages of later types share one last
    // row of type 0.
    static constexpr int MaxCounters = 64;
    // Sampled messages per connection between two collections.
    static constexpr int SamplesPerCollection = 50;
    static constexpr int PayloadPreview = 64;
    // An object message's arguments are decoded for a sample up to this size.
    static constexpr qsizetype ArgumentsLimit = 4096;
    // Object calls whose answers can be named, per direction.
    static constexpr int CallsRemembered = 128;

    Probe(quint64 id, quint64 endpoint, bool reportPayloads)
        : m_id(id)
        , m_endpoint(endpoint)
        , m_reportPayloads(reportPayloads)
    {
    }
    ~Probe();

    quint64 id() const { return m_id; }
    quint64 endpoint() const { return m_endpoint; }

    // The connection's thread only.
    void record(Direction direction, qint32 type, const QByteArray &data, const wire::Correlation &tag)
    {
        const quint64 label = Q_UNLIKELY(tag.isSet()) ? objectLabel(direction, type, data, tag) : 0;
        Counter &counter = counterFor(direction, type, label);
        const quint64 size = quint64(data.size());
        bump(counter.count, 1);
        bump(counter.bytes, size);
        if (size < counter.minSize.load(std::memory_order_relaxed))
            counter.minSize.store(size, std::memory_order_relaxed);
        if (size > counter.maxSize.load(std::memory_order_relaxed))
            counter.maxSize.store(size, std::memory_order_relaxed);
        const unsigned generation = m_generation.load(std::memory_order_relaxed);
        if (generation != m_seenGeneration) { // a collection happened: a new allowance
            m_seenGeneration = generation;
            m_samplesLeft = SamplesPerCollection;
        }
        if (m_samplesLeft > 0) {
            --m_samplesLeft;
            sample(direction, type, data, label, tag);
        } else {
            bump(m_droppedSamples, 1);
        }
    }

    // The reporter's thread: appends a row per counter that changed since
    // the last collection (its deltas, and the smallest and largest size so
    // far), the samples taken, and how many samples were dropped. Object
    // traffic's rows and samples get the name `nameOf` gives its label.
    // A sampled request, reply or object call adds [index in samples, kind,
    // id] to `correlations`, which pairs a request with its answer.
    using NameOf = std::function<QString(quint64 label)>;
    void collect(QCborArray *rows, QCborArray *samples, QCborArray *correlations, quint64 *droppedSamples,
                 const NameOf &nameOf);

private:
    struct Counter
    {
        qint32 type = 0;
        Direction direction = Direction::Received;
        quint64 label = 0; // object traffic: which object and member
        std::atomic<quint64> count{0};
        std::atomic<quint64> bytes{0};
        std::atomic<quint64> minSize{std::numeric_limits<quint64>::max()};
        std::atomic<quint64> maxSize{0};
        quint64 reportedCount = 0; // the reader's
        quint64 reportedBytes = 0;
    };

    // A single writer: no read-modify-write instruction needed.
    static void bump(std::atomic<quint64> &value, quint64 by)
    {
        value.store(value.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    Counter &counterFor(Direction direction, qint32 type, quint64 label)
    {
        Counter &last = m_counters[std::size_t(m_last)];
        if (last.type == type && last.direction == direction && last.label == label
            && m_last < m_used.load(std::memory_order_relaxed))
            return last;
        return findCounter(direction, type, label);
    }
    Counter &findCounter(Direction direction, qint32 type, quint64 label);
    // An object message's label (0: not object traffic). An object call is
    // remembered by its id, so that its answer is counted under its name.
    quint64 objectLabel(Direction direction, qint32 type, const QByteArray &data, const wire::Correlation &tag);
    void sample(Direction direction, qint32 type, const QByteArray &data, quint64 label, const wire::Correlation &tag);

    struct Sample
    {
        QCborArray row; // [time, connection, direction, type, size, payload?]
        quint64 label = 0;
        QCborValue arguments;
        wire::Correlation tag; // kind and id only
    };
    struct RememberedCall
    {
        quint64 id = 0;
        quint64 label = 0;
    };
    // By direction of the call: [Received] the peer's calls, [Sent] ours.
    using CallTable = std::array<std::array<RememberedCall, CallsRemembered>, 2>;

    const quint64 m_id;
    const quint64 m_endpoint;
    const bool m_reportPayloads;
    std::array<Counter, MaxCounters> m_counters;
    std::atomic<int> m_used{0}; // rows published to the reader
    int m_last = 0;             // the row the previous message used: streams repeat a type

    std::atomic<unsigned> m_generation{0}; // bumped by each collection
    unsigned m_seenGeneration = 0;
    int m_samplesLeft = SamplesPerCollection;
    std::atomic<quint64> m_droppedSamples{0};
    quint64 m_droppedReported = 0;
    std::unique_ptr<CallTable> m_calls; // made with the first object call
    std::mutex m_samplesLock; // only when a sample is taken or collected
    std::vector<Sample> m_samples;
};

} // namespace ipc::telemetry
