// The interface of an exposed object as the source tells it on acquire:
// its class, signals, methods and properties with their types. Read from a
// QMetaObject on the source side, carried as CBOR, and checked by a typed
// replica against the interface it was compiled with. The tools show it.
#pragma once

#include "../object_names.h"

#include <QByteArray>
#include <QCborMap>
#include <QList>
#include <QMetaObject>
#include <QString>

namespace ipc::objects {

struct Parameter
{
    QByteArray type; // Qt's normalised type name: "double", "QString", "Mode"
    QByteArray name; // may be empty
};

struct Member
{
    QByteArray name;
    QList<Parameter> parameters;
    QByteArray returnType; // "void" for signals and methods without a result
    int metaIndex = -1; // on the side that read it from a QMetaObject

    // "name(type,type)", as QMetaMethod::methodSignature() writes it.
    QByteArray signature() const;
    // "returnType name(type name, type name)", for people.
    QString declaration() const;
};

struct Property
{
    QByteArray name;
    QByteArray type;
    bool writable = false;
    int notifySignal = -1; // index into Interface::signalList, or -1
    int metaIndex = -1;
};

struct Interface
{
    QByteArray className;
    QList<Member> signalList; // (not "signals": a Qt keyword)
    QList<Member> methods; // public slots and Q_INVOKABLE methods
    QList<Property> properties;

    // What `meta` offers beyond the members of `base` (QObject's own, or a
    // replica's base class). Fails, naming the member and the type, when a
    // type cannot travel as CBOR.
    static bool read(const QMetaObject *meta, Interface *out, QString *why,
        const QMetaObject *base = &QObject::staticMetaObject);
    QCborMap toCbor() const;
    // Refuses a malformed description (a peer's say-so) with a reason.
    static bool fromCbor(const QCborValue &value, Interface *out, QString *why);

    // Its members' names, for telemetry.
    ObjectNames names(quint64 handle, const QString &object) const;

    int findSignal(const QByteArray &signature) const;
    int findMethod(const QByteArray &signature) const;
    int findProperty(const QByteArray &name) const;
};

// Where each member a replica was compiled with sits in the source's
// interface; filled by matchInterface().
struct InterfaceMap
{
    QList<int> signalToLocal; // by the source's signal index: the replica's, or -1
    QList<int> propertyToLocal; // by the source's property index: the replica's, or -1
    QList<int> methodToSource; // by the replica's method index: the source's
    QList<int> propertyToSource; // by the replica's property index: the source's
};

// Checks that `actual` (the source's) has every member of `expected` (the
// replica's) with the same signature; added members are fine. On a
// mismatch returns false and names the member and both signatures.
bool matchInterface(
    const Interface &expected, const Interface &actual, InterfaceMap *map, QString *why);

} // namespace ipc::objects
