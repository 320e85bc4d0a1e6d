// Values of remote objects' arguments, results and properties on the wire:
// CBOR that another language reads without knowing Qt. Enums travel as
// integers, Q_GADGET structs as maps of their properties, sequences as
// arrays and string-keyed associative containers as maps; everything else
// as QCborValue::fromVariant() writes it.
#pragma once

#include <QCborStreamWriter>
#include <QCborValue>
#include <QMetaType>
#include <QString>
#include <QVariant>

namespace ipc::objects {

// Whether values of `type` can travel; when not, *why names the type (and,
// inside a gadget or a container, the part that cannot).
bool canTravel(QMetaType type, QString *why);

// The CBOR form of `value`; an invalid QCborValue (and *why) for a value
// that cannot travel.
QCborValue toCbor(const QVariant &value, QString *why = nullptr);

// toCbor() written straight into `writer` from a value of `type` at
// `value` (a signal's argument): numbers, bool, text and bytes without a
// QVariant or a QCborValue in between. False (and *why) when it cannot travel.
bool writeCbor(QCborStreamWriter &writer, QMetaType type, const void *value, QString *why);

// `value` as a QVariant of exactly `type`; an invalid QVariant (and *why,
// naming what was expected and what came) when it does not fit.
QVariant fromCbor(const QCborValue &value, QMetaType type, QString *why);

} // namespace ipc::objects
