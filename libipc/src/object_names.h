// The names of one remote object's members, as the object layer tells them
// to telemetry (SessionObserver::objectNamed) when it exposes an object or
// acquires a replica, so that the object traffic carrying `handle` can be
// shown by name rather than by operation number.
#pragma once

#include <QString>
#include <QStringList>

namespace ipc {

struct ObjectNames
{
    quint64 handle = 0;
    QString object;
    QStringList signalList; // "temperatureChanged(double)", by the interface's index
    QStringList methods; // "setTarget(double)"
    QStringList properties; // "target"
};

} // namespace ipc
