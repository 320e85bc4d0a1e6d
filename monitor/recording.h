// A monitoring session on disk: one JSON object per line, in arrival order:
// {"time": ms, "source": n, "type": n, "event": {...}} where "event" is the
// telemetry event's map as JSON (bytes as base64url, as Qt converts CBOR).
// Source 0 with type 0 marks a reporter that went away.
#pragma once

#include <ipc/telemetry.h>

#include <QCborMap>
#include <QFile>
#include <QString>

#include <functional>

namespace monitor {

class Recorder
{
public:
    bool open(const QString &path, QString *error);
    bool isOpen() const { return m_file.isOpen(); }
    void close() { m_file.close(); }
    void write(qint64 time, quint64 source, ipc::telemetry::EventType type, const QCborMap &event);
    void writeSourceGone(qint64 time, quint64 source);

private:
    QFile m_file;
};

// Reads a recording, calling back for each event in order (type 0: the
// source went away). False with a reason naming the line when it is not one.
using RecordedEvent = std::function<void(qint64 time, quint64 source, int type, const QCborMap &event)>;
bool readRecording(const QString &path, const RecordedEvent &event, QString *error);

} // namespace monitor
