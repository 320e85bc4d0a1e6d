// The thermostat daemon: exposes a simulated thermostat as "thermostat" on
// the local server "thermostat" (/tmp/thermostat.sock), encrypted. Its
// temperature drifts towards the target while it heats; a panel
// (thermostat_panel) or `ipcctl` can watch it and change the target.
//
//   thermostat_daemon [--address ADDRESS] [--start CELSIUS]
#include "thermostat_source.h"

#include <ipc/server.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTimer>

class Thermostat : public ThermostatSource
{
public:
    explicit Thermostat(double start)
    {
        setTemperature(start);
        connect(&m_tick, &QTimer::timeout, this, [this] { step(); });
        m_tick.start(500);
    }

    QString describe() override
    {
        return QStringLiteral("%1 °C, target %2 °C, %3%4")
            .arg(temperature(), 0, 'f', 1)
            .arg(target(), 0, 'f', 1)
            .arg(heating() ? QStringLiteral("heating") : QStringLiteral("idle"))
            .arg(m_boostTicks > 0 ? QStringLiteral(", boosted") : QString());
    }

    void boost(int minutes) override { m_boostTicks = qBound(0, minutes, 60) * 120; }

private:
    // Every half second: heat towards the target, cool towards 15 °C.
    void step()
    {
        const bool heat
            = temperature() < target() - 0.2 || (m_boostTicks > 0 && temperature() < target() + 2);
        setHeating(heat);
        const double next = temperature() + (heat ? (m_boostTicks > 0 ? 0.4 : 0.2) : -0.05);
        setTemperature(qRound(next * 100) / 100.0);
        if (m_boostTicks > 0)
            --m_boostTicks;
        if (temperature() > 28 && !m_warned) {
            m_warned = true;
            Q_EMIT alarm(QStringLiteral("too warm: %1 °C").arg(temperature(), 0, 'f', 1));
        } else if (temperature() < 27) {
            m_warned = false;
        }
    }

    QTimer m_tick;
    int m_boostTicks = 0;
    bool m_warned = false;
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("A simulated thermostat, exposed as a remote object."));
    parser.addHelpOption();
    const QCommandLineOption address(QStringLiteral("address"),
        QStringLiteral("Where to listen (default thermostat)."), QStringLiteral("address"),
        QStringLiteral("thermostat"));
    const QCommandLineOption start(QStringLiteral("start"),
        QStringLiteral("The starting temperature (default 18)."), QStringLiteral("celsius"),
        QStringLiteral("18"));
    parser.addOptions({ address, start });
    parser.process(app);

    Thermostat thermostat(parser.value(start).toDouble());
    ipc::Server server(parser.value(address));
    if (!server.exposeObject(&thermostat, QStringLiteral("thermostat")) || !server.listen()) {
        qCritical().noquote() << server.errorString();
        return 1;
    }
    QObject::connect(&thermostat, &Thermostat::targetChanged,
        [](double target) { qInfo().noquote() << "target set to" << target; });
    qInfo().noquote() << "thermostat exposed at" << server.listeningAddress();
    return app.exec();
}
