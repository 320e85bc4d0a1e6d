// Telemetry events as text: one line each, for the headless mode (like
// dbus-monitor's profile mode) and for logs.
#pragma once

#include "traffic.h"

#include <QStringList>

namespace monitor {

// One printed line and the time it speaks of (ms since the epoch).
struct EventLine
{
    qint64 time = 0;
    QString text;
};

// The lines an event prints as: one per sampled message or counter row, one
// for anything else. `process` is who sent it (null before its Hello);
// `arrival` is when it came, the time of events that carry none.
QList<EventLine> describeEvent(const ProcessState *process, ipc::telemetry::EventType type, const QCborMap &event,
                               qint64 arrival);

// A Requests row's outcome in words: "replied", "timed out", ...
QString outcomeName(qint64 outcome);

// Hex for bytes that are not printable text, else the text, quoted.
QString payloadPreview(const QByteArray &payload);

} // namespace monitor
