#include "time_ordered_lines.h"

namespace monitor {

void TimeOrderedLines::add(const QList<EventLine> &lines)
{
    for (const EventLine &line : lines)
        m_lines.emplace(line.time, line.text);
}

QStringList TimeOrderedLines::takeReady(qint64 now)
{
    QStringList ready;
    const auto end = m_lines.upper_bound(now - HoldBackMs);
    for (auto it = m_lines.begin(); it != end; ++it)
        ready.append(it->second);
    m_lines.erase(m_lines.begin(), end);
    return ready;
}

QStringList TimeOrderedLines::takeAll()
{
    QStringList all;
    for (const auto &line : m_lines)
        all.append(line.second);
    m_lines.clear();
    return all;
}

} // namespace monitor
