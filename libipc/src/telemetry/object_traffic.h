// Remote-object traffic as telemetry counts and shows it. Each object
// message is counted under a label: its operation, the object's handle and
// the member, and whether it answers a call, read from the head of its CBOR
// (docs/PROTOCOL.md, section 7c). The reporter turns a label into a name,
// "thermostat.temperatureChanged(double)", from the names the object layer
// told it; without them the name says the handle and index.
#pragma once

#include "object_names.h"

#include <QByteArray>
#include <QCborValue>
#include <QString>

namespace ipc::telemetry::object_traffic {

enum class Answer : quint64 { None = 0, Reply = 1, ErrorReply = 2 };

// A label for an object message of operation `op`; never 0 (0 is "not
// object traffic"). A head that cannot be read gives the operation alone.
quint64 label(qint32 op, const QByteArray &data);
// The label of the answer to the call labelled `call`.
quint64 answerLabel(quint64 call, Answer answer);
quint64 handleOf(quint64 label);

// "thermostat.setTarget(double)", "thermostat.setTarget(double) reply";
// `names` may be null (the object is not known by name).
QString name(quint64 label, const ObjectNames *names);
// What a message carries, for a sample when payloads are reported: a
// call's or an emission's arguments, a property's new value, an answer's
// value or error text. Undefined for a message larger than `limit` bytes.
QCborValue arguments(quint64 label, const QByteArray &data, qsizetype limit);

} // namespace ipc::telemetry::object_traffic
