// Request latency as the monitor keeps it: per process, endpoint, peer and
// type (or object member), how many requests ended each way and a histogram
// of how long they took (docs/TELEMETRY.md, Requests). Percentiles are
// read from the histogram: exact to its bucket, a quarter of a power of two.
#pragma once

#include <ipc/telemetry.h>

#include <QCborMap>
#include <QString>

#include <array>
#include <map>
#include <optional>

namespace monitor {

struct TypeKey;

struct LatencyStats
{
    static constexpr int Outcomes = 5; // ipc::telemetry::RequestOutcome
    std::array<quint64, Outcomes> outcomes{};
    quint64 sumMicros = 0;
    quint64 maxMicros = 0;
    std::array<quint64, ipc::telemetry::LatencyBuckets> buckets{};

    quint64 count() const;
    quint64 ended(ipc::telemetry::RequestOutcome outcome) const { return outcomes[std::size_t(outcome)]; }
    void add(const LatencyStats &other);
    // The duration (microseconds) within which `fraction` of the requests
    // ended: the end of the bucket it falls in, never above the largest seen.
    quint64 percentile(double fraction) const;
    double meanMicros() const;
};

// "850 us", "12.5 ms", "3.2 s".
QString durationText(quint64 micros);

} // namespace monitor
