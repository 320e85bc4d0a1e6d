// ReplicaPrivate: what one replica knows of its source, and how the
// source's messages change it. Its ReplicaNode routes them here.
#pragma once

#include <ipc/replica.h>

#include "object_interface.h"
#include "object_protocol.h"

#include <QHash>
#include <QPointer>

namespace ipc::objects {
class ReplicaNode;
}

namespace ipc {

class ReplicaPrivate
{
public:
    explicit ReplicaPrivate(Replica *q);

    // Reads the interface the replica was compiled with (its own signals
    // and properties, and the methods it lists in Q_CLASSINFO("ipc.methods")).
    bool readExpected(QString *why);

    void setState(Replica::State state);
    void fail(Replica::State state, Error error, const QString &text);

    // The source's answer to an acquire: its interface and values.
    void onAcquired(const QCborValue &answer);
    void onEmission(const objects::Emitted &emitted);
    void onMissed(const objects::MissedEmissions &missed);

    // A value of the source's property `index` in this side's type.
    QVariant convertProperty(int sourceIndex, const QCborValue &value, QString *why) const;
    // The same for a value as readArgument() keeps it (an emission's).
    QVariant convertProperty(int sourceIndex, const QVariant &raw, QString *why) const;
    // Stores the value; true when it changed (and tells a dynamic replica).
    bool storeProperty(int sourceIndex, const QVariant &value, bool notify);
    // After a resynchronisation: the notify signals of the values that changed.
    void notifyChanged(const QList<int> &sourceIndices);
    // The replica's own signal `local` with the source's arguments.
    void emitLocal(int local, const QVariantList &arguments);
    // The member a dynamic call names: an exact signature, or the only
    // overload of that name taking `count` arguments; -1 and *why otherwise.
    int findMethod(const QString &name, int count, QString *why) const;
    // The source's index of the method `signature` names (as a typed
    // replica or a dynamic call spells it), cached; -1 when it has none.
    int sourceMethod(const QByteArray &signature);

    Replica *const q;
    objects::ReplicaNode *node = nullptr; // null once its Client or Server is gone
    quint64 peer = 0;
    QString name;
    Replica::State state = Replica::State::Waiting;
    Error error = Error::NoError;
    QString errorString;

    quint64 handle = 0;
    quint64 generation = 0; // of the latest acquire: stale answers are ignored
    bool acquiring = false; // an acquire is on its way
    bool everValid = false;
    objects::Interface expected; // typed replicas only
    QList<QByteArray> expectedWritable;
    objects::Interface actual;
    objects::InterfaceMap map;
    QVariantList values; // by the source's property index
    QHash<QByteArray, int> methodCache; // signature as given -> the source's method
};

} // namespace ipc
