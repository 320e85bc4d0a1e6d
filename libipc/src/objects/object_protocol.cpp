#include "object_protocol.h"

#include "value_codec.h"

#include <QCborStreamReader>

namespace ipc::objects {

namespace {

// Object names and member counts are small; a bound keeps a peer's
// nonsense from becoming an enormous index.
constexpr qint64 MaxIndex = 1 << 20;

bool readHandle(const QCborValue &value, quint64 *handle)
{
    if (!value.isInteger() || value.toInteger() <= 0)
        return false;
    *handle = quint64(value.toInteger());
    return true;
}

} // namespace

QString opName(qint32 op)
{
    switch (op) {
    case Acquire:
        return QStringLiteral("acquire");
    case Release:
        return QStringLiteral("release");
    case Emission:
        return QStringLiteral("emission");
    case Invoke:
        return QStringLiteral("invoke");
    case SetProperty:
        return QStringLiteral("set property");
    case Withdrawn:
        return QStringLiteral("withdrawn");
    case List:
        return QStringLiteral("list");
    case Missed:
        return QStringLiteral("missed");
    default:
        return QStringLiteral("operation %1").arg(op);
    }
}

Error errorOf(const Reply &reply)
{
    if (reply.error != Error::RemoteError)
        return reply.error;
    const int code = reply.errorCode;
    if (code > int(Error::NoError) && code <= int(Error::InvalidArgument))
        return Error(code);
    return Error::RemoteError;
}

QByteArray encode(const QCborValue &value)
{
    return value.toCbor();
}

bool decodeItem(const QByteArray &data, QCborValue *value, QString *why)
{
    QCborStreamReader reader(data);
    const QCborValue item = QCborValue::fromCbor(reader);
    if (value)
        *value = item;
    if (reader.lastError() != QCborError::NoError)
        return failBecause(why,
            QStringLiteral("malformed CBOR at byte %1: %2")
                .arg(reader.currentOffset())
                .arg(reader.lastError().toString()));
    if (reader.currentOffset() != data.size())
        return failBecause(why,
            QStringLiteral("%1 bytes after the CBOR item")
                .arg(data.size() - reader.currentOffset()));
    return true;
}

// The hottest decoder: read as a stream, without building the outer array.
bool decodeEmission(const QByteArray &data, Emitted *out, QString *why)
{
    const auto shape = [why] {
        return failBecause(
            why, QStringLiteral("an emission is not [handle, signal, [arguments], {properties}]"));
    };
    // Not CBOR at all, or CBOR of another shape: the reason says which.
    const auto malformed = [&] { return decodeItem(data, nullptr, why) ? shape() : false; };
    QCborStreamReader reader(data);
    if (!reader.isArray() || !reader.isLengthKnown() || reader.length() != 4
        || !reader.enterContainer())
        return malformed();
    if (!reader.isUnsignedInteger() || reader.toUnsignedInteger() == 0)
        return malformed();
    out->handle = quint64(reader.toUnsignedInteger());
    reader.next();
    if (!reader.isUnsignedInteger() || quint64(reader.toUnsignedInteger()) > quint64(MaxIndex))
        return malformed();
    out->signal = int(reader.toUnsignedInteger());
    reader.next();
    if (!reader.isArray() || !reader.enterContainer())
        return malformed();
    // Each value is checked before it is kept: one cut short is not a
    // value (and Qt's containers must not take it).
    out->arguments.clear();
    while (reader.hasNext()) {
        QVariant argument = readArgument(reader);
        if (!argument.isValid())
            return malformed();
        out->arguments.append(std::move(argument));
    }
    if (reader.lastError() != QCborError::NoError || !reader.leaveContainer() || !reader.isMap()
        || !reader.enterContainer())
        return malformed();
    out->properties.clear();
    while (reader.hasNext()) {
        const QVariant key = readArgument(reader);
        if (!key.isValid() || !reader.hasNext())
            return malformed();
        QVariant value = readArgument(reader);
        if (!value.isValid())
            return malformed();
        const qint64 index = key.metaType().id() == QMetaType::LongLong ? key.toLongLong() : -1;
        out->properties.append({ index, std::move(value) });
    }
    if (reader.lastError() != QCborError::NoError || !reader.leaveContainer()
        || !reader.leaveContainer())
        return malformed();
    if (reader.currentOffset() != data.size())
        return failBecause(why,
            QStringLiteral("%1 bytes after the CBOR item")
                .arg(data.size() - reader.currentOffset()));
    return true;
}

namespace {

// [handle, member, third]: the third item is the arguments' array (a call)
// or one value (a property write). Read as a stream, each argument kept as
// readArgument() gives it.
bool decodeCall(const QByteArray &data, Invocation *out, bool oneValue, QString *why)
{
    const auto malformed = [&] {
        return decodeItem(data, nullptr, why)
            ? failBecause(why,
                oneValue ? QStringLiteral("a property write is not [handle, property, value]")
                         : QStringLiteral("a call is not [handle, member, arguments]"))
            : false;
    };
    QCborStreamReader reader(data);
    if (!reader.isArray() || !reader.isLengthKnown() || reader.length() != 3
        || !reader.enterContainer() || !reader.isUnsignedInteger()
        || reader.toUnsignedInteger() == 0)
        return malformed();
    out->handle = quint64(reader.toUnsignedInteger());
    if (!reader.next() || !reader.isUnsignedInteger()
        || reader.toUnsignedInteger() > quint64(MaxIndex))
        return malformed();
    out->member = int(reader.toUnsignedInteger());
    if (!reader.next())
        return malformed();
    out->arguments.clear();
    if (oneValue) {
        QVariant value = readArgument(reader);
        if (!value.isValid())
            return malformed();
        out->arguments.append(std::move(value));
    } else {
        if (!reader.isArray() || !reader.enterContainer())
            return malformed();
        while (reader.hasNext()) {
            QVariant argument = readArgument(reader);
            if (!argument.isValid())
                return malformed();
            out->arguments.append(std::move(argument));
        }
        if (reader.lastError() != QCborError::NoError || !reader.leaveContainer())
            return malformed();
    }
    if (reader.lastError() != QCborError::NoError || !reader.leaveContainer())
        return malformed();
    if (reader.currentOffset() != data.size())
        return failBecause(why,
            QStringLiteral("%1 bytes after the CBOR item").arg(data.size() - reader.currentOffset()));
    return true;
}

} // namespace

bool decodeInvocation(const QByteArray &data, Invocation *out, QString *why)
{
    return decodeCall(data, out, false, why);
}

bool decodePropertyWrite(const QByteArray &data, Invocation *out, QString *why)
{
    return decodeCall(data, out, true, why);
}

bool decodeWithdrawn(const QByteArray &data, quint64 *handle, QString *reason, QString *why)
{
    QCborValue item;
    if (!decodeItem(data, &item, why))
        return false;
    const QCborArray array = item.toArray();
    if (!item.isArray() || array.size() != 2 || !readHandle(array[0], handle)
        || !array[1].isString())
        return failBecause(why, QStringLiteral("a withdrawal is not [handle, reason]"));
    *reason = array[1].toString();
    return true;
}

bool decodeMissed(const QByteArray &data, MissedEmissions *out, QString *why)
{
    QCborValue item;
    if (!decodeItem(data, &item, why))
        return false;
    const QCborArray array = item.toArray();
    if (!item.isArray() || array.size() != 3 || !readHandle(array[0], &out->handle)
        || !array[1].isInteger() || array[1].toInteger() < 0 || !array[2].isArray())
        return failBecause(
            why, QStringLiteral("a missed-emissions notice is not [handle, count, [properties]]"));
    out->count = quint64(array[1].toInteger());
    out->properties = array[2].toArray();
    return true;
}

bool decodeName(const QByteArray &data, QString *name, QString *why)
{
    QCborValue item;
    if (!decodeItem(data, &item, why))
        return false;
    const QCborValue value = item[QStringLiteral("name")];
    if (!item.isMap() || !value.isString() || value.toString().isEmpty()
        || value.toString().size() > MaxNameBytes)
        return failBecause(why, QStringLiteral("an acquire is not {\"name\": text}"));
    *name = value.toString();
    return true;
}

bool decodeHandle(const QByteArray &data, quint64 *handle, QString *why)
{
    QCborValue item;
    if (!decodeItem(data, &item, why))
        return false;
    if (!item.isMap() || !readHandle(item[QStringLiteral("handle")], handle))
        return failBecause(why, QStringLiteral("a release is not {\"handle\": number}"));
    return true;
}

} // namespace ipc::objects
