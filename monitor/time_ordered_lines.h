// The headless monitor's output in time order. Reporting processes send
// counters and samples in batches (every 250 ms) whose times lie before the
// events printed on arrival, and several processes interleave: lines wait a
// moment here and go out sorted by the time they speak of.
#pragma once

#include "event_text.h"

#include <QStringList>

#include <map>

namespace monitor {

class TimeOrderedLines
{
public:
    // Longer than a reporter's batch interval, with room for a busy machine.
    static constexpr qint64 HoldBackMs = 1000;

    void add(const QList<EventLine> &lines);
    // The lines at least HoldBackMs older than `now`, oldest first. A line
    // that came later than that still goes out, with the next ones.
    QStringList takeReady(qint64 now);
    // Everything held, oldest first (at the end).
    QStringList takeAll();
    bool isEmpty() const { return m_lines.empty(); }

private:
    std::multimap<qint64, QString> m_lines; // equal times keep their arrival order
};

} // namespace monitor
