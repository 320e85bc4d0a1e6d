// Typed replicas of Thermostat written by hand, as the generator writes them: the
// interface's signals and properties, and its methods (listed for the
// interface check) returning futures.
#pragma once

#include "thermostat.h"

#include <ipc/replica.h>

class ThermostatReplica : public ipc::Replica
{
    Q_OBJECT
    Q_CLASSINFO("ipc.methods",
        "QString describe(int);Reading lastReading();QList<int> history(int);"
        "void setTarget(double)")
    Q_CLASSINFO("ipc.writable", "target")
    Q_PROPERTY(double temperature READ temperature NOTIFY temperatureChanged)
    Q_PROPERTY(double target READ target NOTIFY targetChanged)

public:
    explicit ThermostatReplica(QObject *parent = nullptr)
        : ipc::Replica(parent)
    {
    }

    double temperature() const { return propertyValue("temperature").toDouble(); }
    double target() const { return propertyValue("target").toDouble(); }

    QFuture<QString> describe(int detail) { return invoke<QString>("describe(int)", detail); }
    QFuture<Reading> lastReading() { return invoke<Reading>("lastReading()"); }
    QFuture<QList<int>> history(int count) { return invoke<QList<int>>("history(int)", count); }
    QFuture<void> setTarget(double target) { return invoke<void>("setTarget(double)", target); }
    QFuture<void> pushTarget(double target) { return writeProperty("target", target); }

Q_SIGNALS:
    void temperatureChanged(double temperature);
    void targetChanged(double target);
    void alarm(const QString &text, int level);
    void readingTaken(const Reading &reading);
    void counted(int n);
};

// A replica compiled against an older or different Thermostat: describe()
// took a QString there.
class StaleThermostatReplica : public ipc::Replica
{
    Q_OBJECT
    Q_CLASSINFO("ipc.methods", "QString describe(QString)")
    Q_PROPERTY(double temperature READ temperature NOTIFY temperatureChanged)

public:
    explicit StaleThermostatReplica(QObject *parent = nullptr)
        : ipc::Replica(parent)
    {
    }
    double temperature() const { return propertyValue("temperature").toDouble(); }

Q_SIGNALS:
    void temperatureChanged(double temperature);
};

// One whose property changed type.
class RetypedThermostatReplica : public ipc::Replica
{
    Q_OBJECT
    Q_PROPERTY(int temperature READ temperature NOTIFY temperatureChanged)

public:
    explicit RetypedThermostatReplica(QObject *parent = nullptr)
        : ipc::Replica(parent)
    {
    }
    int temperature() const { return propertyValue("temperature").toInt(); }

Q_SIGNALS:
    void temperatureChanged(int temperature);
};
