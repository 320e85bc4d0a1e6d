// Values of remote objects' arguments, results and properties on the wire:
// CBOR that another language reads without knowing Qt. Enums travel as
// integers, Q_GADGET structs as maps of their properties, sequences as
// arrays and string-keyed associative containers as maps; everything else
// as QCborValue::fromVariant() writes it.
#pragma once

#include <QCborStreamReader>
#include <QCborValue>
#include <QMetaType>
#include <QString>
#include <QVariant>

namespace ipc::objects {

// The longest object, member or type name a peer may send: far beyond any
// real one, and a bound on what a peer's nonsense can make us hold.
constexpr qsizetype MaxNameBytes = 1024;

// Every check here ends the same way when it fails: *why (when asked) says
// what was wrong, and the answer is false.
inline bool failBecause(QString *why, const QString &text)
{
    if (why)
        *why = text;
    return false;
}

// Whether values of `type` can travel; when not, *why names the type (and,
// inside a gadget or a container, the part that cannot).
bool canTravel(QMetaType type, QString *why);

// The CBOR form of `value`; an invalid QCborValue (and *why) for a value
// that cannot travel.
QCborValue toCbor(const QVariant &value, QString *why = nullptr);

// toCbor() appended to `out` from a value of `type` at `value` (a signal's
// or a method's argument): numbers, bool, text and bytes without a QVariant
// or a QCborValue in between. False (and *why) when it cannot travel.
bool appendCbor(QByteArray &out, QMetaType type, const void *value, QString *why);

// The head of a CBOR item (RFC 8949, section 3): its major type and its
// argument, in the shortest form, as QCborStreamWriter writes it.
void appendCborHead(QByteArray &out, quint8 majorType, quint64 argument);
inline void appendCborArray(QByteArray &out, quint64 count) { appendCborHead(out, 4, count); }
inline void appendCborMap(QByteArray &out, quint64 count) { appendCborHead(out, 5, count); }
void appendCborInteger(QByteArray &out, qint64 value);

// One argument read from `reader` (which moves past it), kept as cheaply as
// it came: an integer as qint64 (quint64 beyond it), a double, a bool, text or bytes as
// themselves, anything else as a QCborValue. argumentAs() gives it the
// parameter's type. An invalid QVariant when the item is cut short.
QVariant readArgument(QCborStreamReader &reader);
// `argument` (from readArgument()) as exactly `type`, by the rules of
// fromCbor(); an invalid QVariant (and *why) when it does not fit.
QVariant argumentAs(QVariant argument, QMetaType type, QString *why);
// The CBOR value `argument` (from readArgument()) stands for.
QCborValue argumentValue(const QVariant &argument);

// `value` as a QVariant of exactly `type`; an invalid QVariant (and *why,
// naming what was expected and what came) when it does not fit.
QVariant fromCbor(const QCborValue &value, QMetaType type, QString *why);

} // namespace ipc::objects
