// The remote-object operations: user messages tagged by control kind 11,
// whose type is the operation and whose data is one CBOR item
// (docs/PROTOCOL.md, section 7c). Pure: decoding a peer's message checks
// its shape and says what is wrong, without touching any object.
#pragma once

#include "../result.h"

#include <ipc/reply.h>

#include <QByteArray>
#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QString>
#include <QVariantList>

namespace ipc::objects {

enum Op : qint32 {
    Acquire = 1, // call, replica -> source: {"name"} -> {"handle", "interface", "properties"}
    Release = 2, // one-way, replica -> source: {"handle"}
    Emission = 3, // one-way, source -> replica: [handle, signal, [args], {property: value}]
    Invoke = 4, // call, replica -> source: [handle, method, [args]] -> result
    SetProperty = 5, // call, replica -> source: [handle, property, value] -> null
    Withdrawn = 6, // one-way, source -> replica: [handle, reason]
    List = 7, // call, either way: null -> [{"name", "interface"}]
    Missed = 8, // one-way, source -> replica: [handle, count, [every property's value]]
};

// The name of an operation, for errors and the tools.
QString opName(qint32 op);

// What an object call's Reply failed with: an error reply carries an
// ipc::Error as its code (RemoteError when it names none).
Error errorOf(const Reply &reply);

struct Emitted
{
    quint64 handle = 0;
    int signal = -1;
    QVariantList arguments; // as readArgument() keeps them
    // Property index (-1: not an index) -> its value after the signal, as
    // readArgument() keeps it.
    QList<std::pair<qint64, QVariant>> properties;
};

struct Invocation
{
    quint64 handle = 0;
    int member = -1; // a method (Invoke) or a property (SetProperty)
    QVariantList arguments; // as readArgument() keeps them; SetProperty: the one value
};

struct MissedEmissions
{
    quint64 handle = 0;
    quint64 count = 0;
    QCborArray properties;
};

QByteArray encode(const QCborValue &value);

// Each decoder returns false with *why for data that is not the operation's
// shape; the values inside are checked by their user (the interface).
bool decodeItem(const QByteArray &data, QCborValue *value, QString *why);
bool decodeEmission(const QByteArray &data, Emitted *out, QString *why);
bool decodeInvocation(const QByteArray &data, Invocation *out, QString *why);
bool decodePropertyWrite(const QByteArray &data, Invocation *out, QString *why);
bool decodeWithdrawn(const QByteArray &data, quint64 *handle, QString *reason, QString *why);
bool decodeMissed(const QByteArray &data, MissedEmissions *out, QString *why);
// Acquire's and Release's {"name"} / {"handle"}.
bool decodeName(const QByteArray &data, QString *name, QString *why);
bool decodeHandle(const QByteArray &data, quint64 *handle, QString *why);

} // namespace ipc::objects
