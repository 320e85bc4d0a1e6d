// The monitor without a window (ipc-monitor --cli): one line per event, as
// text or JSON, in time order; or with --summary, a table (or a JSON object)
// every few seconds instead.
#pragma once

#include "collector.h"
#include "time_ordered_lines.h"
#include "traffic.h"

#include <QObject>
#include <QTimer>

namespace monitor {

struct HeadlessOptions
{
    bool json = false;
    int summarySeconds = 0; // 0: a line per event
};

class Headless : public QObject
{
    Q_OBJECT

public:
    Headless(Collector *collector, Traffic *traffic, HeadlessOptions options, QObject *parent = nullptr);
    // Prints what is still held back (at the end).
    void finish();

private:
    void onEvent(quint64 source, ipc::telemetry::EventType type, const QCborMap &event);
    void printSummary();

    Traffic *m_traffic;
    HeadlessOptions m_options;
    TimeOrderedLines m_ordered;
    QTimer m_release;
    QTimer m_tick;
    QTimer m_summary;
};

} // namespace monitor
