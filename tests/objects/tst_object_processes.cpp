// The remote-objects example as a user runs it: the thermostat daemon in
// its own process, a replica generated from the same .rep file here. The
// daemon is killed and started again: the replica keeps the last values
// while it is away, then reads the new ones and says it resynchronised.
#include "peerprocess.h"
#include "testnames.h"
#include "thermostat_replica.h"

#include <ipc/client.h>

#include <QtTest>

using namespace std::chrono_literals;

namespace {

// Starts the daemon and waits until it says it listens.
bool startDaemon(QProcess &daemon, const QString &address, double start)
{
    daemon.start(QStringLiteral(THERMOSTAT_DAEMON_PATH),
        { QStringLiteral("--address"), address, QStringLiteral("--start"),
            QString::number(start) });
    if (!daemon.waitForStarted(10000))
        return false;
    QByteArray said;
    QSignalSpy output(&daemon, &QProcess::readyReadStandardError);
    while (!said.contains("exposed at")) {
        if (daemon.state() != QProcess::Running
            || (!daemon.bytesAvailable() && !output.wait(30000)))
            return false;
        said += daemon.readAllStandardError();
    }
    return true;
}

} // namespace

class TestObjectProcesses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void daemonRestartResynchronises()
    {
        const QString address = socketPathFor(uniqueName("thermostat"));
        QProcess daemon;
        daemon.setReadChannel(QProcess::StandardError);
        QVERIFY(startDaemon(daemon, address, 19));
        ipc::Client client(address);
        std::unique_ptr<ThermostatReplica> thermostat(
            client.acquire<ThermostatReplica>(QStringLiteral("thermostat")));
        QVERIFY2(thermostat->waitForValid(10s), qPrintable(thermostat->errorString()));
        QCOMPARE(thermostat->sourceClassName(), QStringLiteral("Thermostat"));
        QVERIFY(thermostat->temperature() >= 19 && thermostat->temperature() < 25);

        // A target set through the replica reaches the daemon and comes back.
        QSignalSpy targets(thermostat.get(), &ThermostatReplica::targetChanged);
        thermostat->setTarget(26);
        QVERIFY(targets.wait(10000));
        QCOMPARE(thermostat->target(), 26.0);

        QSignalSpy resynchronized(thermostat.get(), &ipc::Replica::resynchronized);
        daemon.kill(); // only the process this test started
        QVERIFY(waitForExit(daemon));
        QTRY_COMPARE_WITH_TIMEOUT(thermostat->state(), ipc::Replica::State::Suspect, 30000);
        QCOMPARE(thermostat->target(), 26.0); // the last known value, while it is away

        QProcess second;
        second.setReadChannel(QProcess::StandardError);
        QVERIFY(startDaemon(second, address, 10));
        QVERIFY(resynchronized.wait(30000));
        QCOMPARE(resynchronized.at(0).at(0).toULongLong(), 0ULL);
        QCOMPARE(thermostat->state(), ipc::Replica::State::Valid);
        QCOMPARE(thermostat->target(), 21.0); // the new daemon's default
        QVERIFY2(
            thermostat->temperature() < 15, qPrintable(QString::number(thermostat->temperature())));
        QFuture<QString> described = thermostat->describe();
        QTRY_VERIFY_WITH_TIMEOUT(described.isFinished(), 10000);
        QVERIFY2(described.result().contains(QStringLiteral("target 21.0")),
            qPrintable(described.result()));
        stopPeer(second);
    }
};

QTEST_MAIN(TestObjectProcesses)
#include "tst_object_processes.moc"
