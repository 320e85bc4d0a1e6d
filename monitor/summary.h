// The headless monitor's periodic summary (ipc-monitor --cli --summary N):
// what the window's tree and statistics show, as a text table or one JSON
// object, for terminals, scripts and CI logs.
#pragma once

#include "traffic.h"

#include <QJsonObject>
#include <QString>

namespace monitor {

// `now`: ms since the epoch, the time the summary speaks of.
QString summaryText(const Traffic &traffic, qint64 now);
QJsonObject summaryJson(const Traffic &traffic, qint64 now);

} // namespace monitor
