// Demo traffic for `ipc-monitor --demo`: two helper processes (this same
// executable with --demo-peer) that report to the monitor: one runs servers
// (local Noise, local Noise + pre-shared key with payload reporting, TCP
// plain, golang-ipc v2), the other clients that send several message types
// to each at different rates. The servers expose a thermostat, which one
// client acquires and calls: remote-object traffic, shown by name. A third
// helper reads a feed more slowly than the servers send it, in bursts: a
// connection that backs up and drains.
#pragma once

#include <QObject>
#include <QProcess>

#include <memory>
#include <vector>

namespace monitor {

class Demo : public QObject
{
    Q_OBJECT

public:
    explicit Demo(const QString &monitorAddress, QObject *parent = nullptr);
    ~Demo() override; // stops the helpers it started
    void start();

private:
    void startClients(quint16 tcpPort);
    QProcess *spawn(const QStringList &arguments);

    QString m_monitorAddress;
    QString m_prefix; // unique server names for this demo
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

// The helper processes' side: "servers PREFIX", "clients PREFIX TCPPORT" or "reader PREFIX".
int runDemoPeer(const QStringList &arguments);

} // namespace monitor
