// The monitor's end of telemetry: a libipc Server at the monitor's address
// (never reporting itself) that decodes each event and hands it on.
#pragma once

#include <ipc/server.h>
#include <ipc/telemetry.h>

#include <QCborMap>
#include <QObject>

namespace monitor {

class Collector : public QObject
{
    Q_OBJECT

public:
    explicit Collector(const QString &address, QObject *parent = nullptr);

    bool listen();
    QString address() const { return m_server.address(); }
    QString errorString() const { return m_server.errorString(); }

Q_SIGNALS:
    // source: the reporting connection (one per process).
    void eventReceived(quint64 source, ipc::telemetry::EventType type, const QCborMap &event);
    void sourceGone(quint64 source);

private:
    ipc::Server m_server;
};

} // namespace monitor
