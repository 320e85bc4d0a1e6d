#include <ipc/config.h>

#include <algorithm>
#include <cmath>

namespace ipc {

RetryTimer RetryTimer::fixed(std::chrono::milliseconds interval)
{
    return RetryTimer{interval, interval, 1.0};
}

std::chrono::milliseconds RetryTimer::delayFor(int attempt) const
{
    const double grown = double(initial.count()) * std::pow(std::max(factor, 1.0), attempt);
    const double capped = std::min(grown, double(std::max(maximum, initial).count()));
    return std::chrono::milliseconds(qint64(capped));
}

static quint32 effectiveMax(quint32 configured)
{
    return configured < MinimumMaxMessageSize ? DefaultMaxMessageSize
                                              : qMin(configured, MaximumMaxMessageSize);
}

quint32 ServerConfig::effectiveMaxMessageSize() const
{
    return effectiveMax(maxMessageSize);
}

quint32 ClientConfig::effectiveMaxMessageSize() const
{
    return effectiveMax(maxMessageSize);
}

} // namespace ipc
