// The demo's remote object: a thermostat the demo servers expose, so the
// monitor shows object traffic by member name ("thermostat.setTarget(double)").
#pragma once

#include <QObject>

namespace monitor {

class DemoThermostat : public QObject
{
    Q_OBJECT
    Q_PROPERTY(double target READ target WRITE setTarget NOTIFY targetChanged)
    Q_PROPERTY(double temperature READ temperature NOTIFY temperatureChanged)

public:
    double target() const { return m_target; }
    double temperature() const { return m_temperature; }

public Q_SLOTS:
    void setTarget(double target)
    {
        if (qFuzzyCompare(target, m_target))
            return;
        m_target = target;
        Q_EMIT targetChanged(target);
    }
    // One step of the room towards the target.
    void step()
    {
        m_temperature += (m_target - m_temperature) / 4;
        Q_EMIT temperatureChanged(m_temperature);
    }

Q_SIGNALS:
    void targetChanged(double target);
    void temperatureChanged(double temperature);

private:
    double m_target = 21;
    double m_temperature = 18;
};

} // namespace monitor
