// Telemetry events as JSON, one object per line, for scripts and CI logs
// (ipc-monitor --cli --json): the event's name, the time it speaks of, who
// sent it and its keys. Counters and MessageSamples give one object per row,
// with the row's fields named.
#pragma once

#include "event_text.h"

namespace monitor {

QList<EventLine> eventJson(const ProcessState *process, ipc::telemetry::EventType type, const QCborMap &event,
                           qint64 arrival);

// The event type's name: "ConnectionOpened".
QString eventName(ipc::telemetry::EventType type);

} // namespace monitor
