#include "latency.h"

#include <cmath>

namespace monitor {

using namespace ipc::telemetry;

quint64 LatencyStats::count() const
{
    quint64 total = 0;
    for (const quint64 n : outcomes)
        total += n;
    return total;
}

void LatencyStats::add(const LatencyStats &other)
{
    for (std::size_t i = 0; i < outcomes.size(); ++i)
        outcomes[i] += other.outcomes[i];
    for (std::size_t i = 0; i < buckets.size(); ++i)
        buckets[i] += other.buckets[i];
    sumMicros += other.sumMicros;
    maxMicros = qMax(maxMicros, other.maxMicros);
}

quint64 LatencyStats::percentile(double fraction) const
{
    quint64 total = 0;
    for (const quint64 n : buckets)
        total += n;
    if (total == 0)
        return 0;
    const quint64 rank = qMax<quint64>(1, quint64(std::ceil(fraction * double(total))));
    quint64 seen = 0;
    for (int i = 0; i < LatencyBuckets; ++i) {
        seen += buckets[std::size_t(i)];
        if (seen >= rank) {
            const quint64 end = i + 1 < LatencyBuckets ? latencyBucketStart(i + 1) : maxMicros;
            return qMin(end, maxMicros);
        }
    }
    return maxMicros;
}

double LatencyStats::meanMicros() const
{
    const quint64 n = count();
    return n == 0 ? 0 : double(sumMicros) / double(n);
}

QString durationText(quint64 micros)
{
    if (micros < 1000)
        return QStringLiteral("%1 us").arg(micros);
    if (micros < 1000000)
        return QStringLiteral("%1 ms").arg(double(micros) / 1e3, 0, 'f', micros < 10000 ? 2 : 1);
    return QStringLiteral("%1 s").arg(double(micros) / 1e6, 0, 'f', 2);
}

} // namespace monitor
