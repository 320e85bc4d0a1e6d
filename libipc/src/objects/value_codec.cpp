#include "value_codec.h"

#include <QAssociativeIterable>
#include <QCborArray>
#include <QCborMap>
#include <QMetaProperty>
#include <QSequentialIterable>
#include <QtEndian>

#include <cmath>
#include <cstring>
#include <limits>

namespace ipc::objects {

namespace {

// Gadgets inside gadgets inside containers: deep enough for real data,
// bounded against a type that contains itself.
constexpr int MaxDepth = 16;

bool isNumeric(int id)
{
    switch (id) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Short:
    case QMetaType::UShort:
    case QMetaType::SChar:
    case QMetaType::UChar:
    case QMetaType::Char:
    case QMetaType::Long:
    case QMetaType::ULong:
    case QMetaType::Double:
    case QMetaType::Float:
        return true;
    default:
        return false;
    }
}

// Types CBOR (or QCborValue::fromVariant()) carries as they are.
bool isPlain(int id)
{
    if (isNumeric(id))
        return true;
    switch (id) {
    case QMetaType::Bool:
    case QMetaType::QString:
    case QMetaType::QByteArray:
    case QMetaType::QDateTime:
    case QMetaType::QUrl:
    case QMetaType::QUuid:
    case QMetaType::QStringList:
    case QMetaType::QVariantList:
    case QMetaType::QVariantMap:
    case QMetaType::QVariantHash:
    case QMetaType::QVariant:
    case QMetaType::QCborValue:
    case QMetaType::QCborMap:
    case QMetaType::QCborArray:
    case QMetaType::QJsonValue:
    case QMetaType::QJsonObject:
    case QMetaType::QJsonArray:
    case QMetaType::Nullptr:
        return true;
    default:
        return false;
    }
}

bool isEnum(QMetaType type)
{
    return type.flags().testFlag(QMetaType::IsEnumeration);
}

bool isGadget(QMetaType type)
{
    return type.flags().testFlag(QMetaType::IsGadget) && type.metaObject();
}

bool isSequence(QMetaType type)
{
    return !isPlain(type.id())
        && QMetaType::canView(type, QMetaType::fromType<QSequentialIterable>());
}

bool isAssociative(QMetaType type)
{
    return !isPlain(type.id())
        && QMetaType::canView(type, QMetaType::fromType<QAssociativeIterable>());
}

QString nameOf(QMetaType type)
{
    return type.isValid() ? QString::fromLatin1(type.name())
                          : QStringLiteral("an unregistered type");
}

bool canTravelAt(QMetaType type, int depth, QString *why)
{
    if (depth > MaxDepth)
        return failBecause(
            why, QStringLiteral("%1 nests deeper than %2 levels").arg(nameOf(type)).arg(MaxDepth));
    if (!type.isValid())
        return failBecause(why,
            QStringLiteral(
                "an unregistered type (declare it with Q_DECLARE_METATYPE or Q_GADGET)"));
    if (isPlain(type.id()) || isEnum(type))
        return true;
    if (isGadget(type)) {
        const QMetaObject *meta = type.metaObject();
        for (int i = 0; i < meta->propertyCount(); ++i) {
            const QMetaProperty property = meta->property(i);
            QString inner;
            if (!canTravelAt(property.metaType(), depth + 1, &inner))
                return failBecause(why,
                    QStringLiteral("%1 (its property %2: %3)")
                        .arg(nameOf(type), QString::fromLatin1(property.name()), inner));
        }
        return true;
    }
    if (isSequence(type)) {
        const QVariant empty(type);
        const QMetaType element
            = empty.value<QSequentialIterable>().metaContainer().valueMetaType();
        QString inner;
        if (!canTravelAt(element, depth + 1, &inner))
            return failBecause(why, QStringLiteral("%1 (its elements: %2)").arg(nameOf(type), inner));
        return true;
    }
    if (isAssociative(type)) {
        const QVariant empty(type);
        const QMetaAssociation association = empty.value<QAssociativeIterable>().metaContainer();
        if (association.keyMetaType().id() != QMetaType::QString)
            return failBecause(why, QStringLiteral("%1 (map keys must be QString)").arg(nameOf(type)));
        QString inner;
        if (!canTravelAt(association.mappedMetaType(), depth + 1, &inner))
            return failBecause(why, QStringLiteral("%1 (its values: %2)").arg(nameOf(type), inner));
        return true;
    }
    return failBecause(why,
        QStringLiteral("%1, which has no CBOR form (use a Q_GADGET, an enum, a container or a "
                       "type QCborValue::fromVariant() handles)")
            .arg(nameOf(type)));
}

QCborValue toCborAt(const QVariant &value, int depth, QString *why)
{
    const QMetaType type = value.metaType();
    if (!value.isValid() || type.id() == QMetaType::Nullptr)
        return QCborValue(QCborValue::Null);
    if (depth > MaxDepth) {
        failBecause(why, QStringLiteral("a value nests deeper than %1 levels").arg(MaxDepth));
        return QCborValue(QCborValue::Invalid);
    }
    if (isEnum(type))
        return QCborValue(value.toLongLong());
    if (type.id() == QMetaType::QVariant)
        return toCborAt(*static_cast<const QVariant *>(value.constData()), depth + 1, why);
    if (isGadget(type)) {
        const QMetaObject *meta = type.metaObject();
        QCborMap map;
        for (int i = 0; i < meta->propertyCount(); ++i) {
            const QMetaProperty property = meta->property(i);
            QCborValue field = toCborAt(property.readOnGadget(value.constData()), depth + 1, why);
            if (field.isInvalid())
                return field;
            map.insert(QString::fromLatin1(property.name()), field);
        }
        return map;
    }
    if (type.id() == QMetaType::QVariantList || type.id() == QMetaType::QStringList
        || isSequence(type)) {
        QCborArray array;
        const QSequentialIterable items = value.value<QSequentialIterable>();
        for (const QVariant &item : items) {
            QCborValue element = toCborAt(item, depth + 1, why);
            if (element.isInvalid())
                return element;
            array.append(element);
        }
        return array;
    }
    if (type.id() == QMetaType::QVariantMap || type.id() == QMetaType::QVariantHash
        || isAssociative(type)) {
        QCborMap map;
        const QAssociativeIterable items = value.value<QAssociativeIterable>();
        for (auto it = items.begin(); it != items.end(); ++it) {
            QCborValue element = toCborAt(it.value(), depth + 1, why);
            if (element.isInvalid())
                return element;
            map.insert(it.key().toString(), element);
        }
        return map;
    }
    if (isPlain(type.id()))
        return QCborValue::fromVariant(value);
    failBecause(why, QStringLiteral("%1 cannot travel").arg(nameOf(type)));
    return QCborValue(QCborValue::Invalid);
}

QString kindOf(const QCborValue &value)
{
    switch (value.type()) {
    case QCborValue::Integer:
        return QStringLiteral("an integer");
    case QCborValue::Double:
        return QStringLiteral("a floating-point number");
    case QCborValue::String:
        return QStringLiteral("a string");
    case QCborValue::ByteArray:
        return QStringLiteral("a byte string");
    case QCborValue::Array:
        return QStringLiteral("an array");
    case QCborValue::Map:
        return QStringLiteral("a map");
    case QCborValue::True:
    case QCborValue::False:
        return QStringLiteral("a boolean");
    case QCborValue::Null:
        return QStringLiteral("null");
    case QCborValue::Undefined:
        return QStringLiteral("undefined");
    default:
        return QStringLiteral("CBOR type %1").arg(int(value.type()));
    }
}

QVariant mismatch(QMetaType type, const QCborValue &value, QString *why)
{
    failBecause(why, QStringLiteral("expected %1, got %2").arg(nameOf(type), kindOf(value)));
    return {};
}

QVariant enumFrom(const QCborValue &value, QMetaType type, QString *why)
{
    if (!value.isInteger())
        return mismatch(type, value, why);
    const qint64 number = value.toInteger();
    QVariant result(type);
    void *storage = result.data();
    switch (type.sizeOf()) {
    case 1: {
        const qint8 narrow = qint8(number);
        std::memcpy(storage, &narrow, 1);
        break;
    }
    case 2: {
        const qint16 narrow = qint16(number);
        std::memcpy(storage, &narrow, 2);
        break;
    }
    case 4: {
        const qint32 narrow = qint32(number);
        std::memcpy(storage, &narrow, 4);
        break;
    }
    default:
        std::memcpy(storage, &number, 8);
    }
    return result;
}

QVariant fromCborAt(const QCborValue &value, QMetaType type, int depth, QString *why);

QVariant gadgetFrom(const QCborValue &value, QMetaType type, int depth, QString *why)
{
    if (!value.isMap())
        return mismatch(type, value, why);
    const QCborMap map = value.toMap();
    QVariant result(type);
    const QMetaObject *meta = type.metaObject();
    // Fields the sender has and this side does not are skipped, and fields
    // it lacks keep their defaults: either side may add one.
    for (int i = 0; i < meta->propertyCount(); ++i) {
        const QMetaProperty property = meta->property(i);
        const QCborValue field = map.value(QString::fromLatin1(property.name()));
        if (field.isUndefined())
            continue;
        QString inner;
        const QVariant converted = fromCborAt(field, property.metaType(), depth + 1, &inner);
        if (!converted.isValid()) {
            failBecause(why,
                QStringLiteral("%1.%2: %3")
                    .arg(nameOf(type), QString::fromLatin1(property.name()), inner));
            return {};
        }
        property.writeOnGadget(result.data(), converted);
    }
    return result;
}

QVariant sequenceFrom(const QCborValue &value, QMetaType type, int depth, QString *why)
{
    if (!value.isArray())
        return mismatch(type, value, why);
    QVariant result(type);
    QSequentialIterable items = result.view<QSequentialIterable>();
    const QMetaType element = items.metaContainer().valueMetaType();
    qsizetype index = 0;
    for (const QCborValue &item : value.toArray()) {
        QString inner;
        const QVariant converted = fromCborAt(item, element, depth + 1, &inner);
        if (!converted.isValid()) {
            failBecause(why, QStringLiteral("element %1: %2").arg(index).arg(inner));
            return {};
        }
        items.addValue(converted);
        ++index;
    }
    return result;
}

QVariant associativeFrom(const QCborValue &value, QMetaType type, int depth, QString *why)
{
    if (!value.isMap())
        return mismatch(type, value, why);
    QVariant result(type);
    QAssociativeIterable items = result.view<QAssociativeIterable>();
    const QMetaType mapped = items.metaContainer().mappedMetaType();
    const QCborMap map = value.toMap();
    for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
        if (!it.key().isString()) {
            failBecause(why, QStringLiteral("a map key is %1, not a string").arg(kindOf(it.key())));
            return {};
        }
        QString inner;
        const QVariant converted = fromCborAt(it.value(), mapped, depth + 1, &inner);
        if (!converted.isValid()) {
            failBecause(why, QStringLiteral("value of %1: %2").arg(it.key().toString(), inner));
            return {};
        }
        items.setValue(it.key().toString(), converted);
    }
    return result;
}

QVariant numberFrom(const QCborValue &value, QMetaType type, QString *why)
{
    if (type.id() == QMetaType::Double || type.id() == QMetaType::Float) {
        if (!value.isInteger() && !value.isDouble())
            return mismatch(type, value, why);
        QVariant number(value.toDouble());
        number.convert(type);
        return number;
    }
    // An integer parameter takes an integer, or a double with no fraction
    // (JavaScript has only doubles); a value out of range is refused.
    // The range check comes first: converting a double beyond qint64 (or
    // NaN) is undefined.
    qint64 integer = 0;
    const double real = value.toDouble();
    if (value.isInteger()) {
        integer = value.toInteger();
    } else if (value.isDouble() && std::isfinite(real) && real >= -9.2e18 && real <= 9.2e18
        && std::trunc(real) == real) {
        integer = qint64(real);
    } else {
        return mismatch(type, value, why);
    }
    QVariant number(integer);
    if (!number.convert(type) || number.toLongLong() != integer) {
        failBecause(why, QStringLiteral("%1 is out of the range of %2").arg(integer).arg(nameOf(type)));
        return {};
    }
    return number;
}

QVariant fromCborAt(const QCborValue &value, QMetaType type, int depth, QString *why)
{
    if (depth > MaxDepth) {
        failBecause(why, QStringLiteral("a value nests deeper than %1 levels").arg(MaxDepth));
        return {};
    }
    const int id = type.id();
    if (id == QMetaType::QVariant)
        return QVariant::fromValue(value.toVariant());
    if (id == QMetaType::QCborValue)
        return QVariant::fromValue(value);
    if (isEnum(type))
        return enumFrom(value, type, why);
    if (isGadget(type))
        return gadgetFrom(value, type, depth, why);
    if (isNumeric(id))
        return numberFrom(value, type, why);
    if (id == QMetaType::Bool)
        return value.isBool() ? QVariant(value.toBool()) : mismatch(type, value, why);
    if (id == QMetaType::QString)
        return value.isString() ? QVariant(value.toString()) : mismatch(type, value, why);
    if (id == QMetaType::QByteArray)
        return value.isByteArray() ? QVariant(value.toByteArray()) : mismatch(type, value, why);
    if (id != QMetaType::QStringList && id != QMetaType::QVariantList && isSequence(type))
        return sequenceFrom(value, type, depth, why);
    if (id != QMetaType::QVariantMap && id != QMetaType::QVariantHash && isAssociative(type))
        return associativeFrom(value, type, depth, why);
    QVariant natural = value.toVariant();
    if (natural.metaType() == type)
        return natural;
    if (id == QMetaType::QStringList && value.isArray()) {
        QStringList strings;
        for (const QCborValue &item : value.toArray()) {
            if (!item.isString())
                return mismatch(type, value, why);
            strings.append(item.toString());
        }
        return strings;
    }
    if ((id == QMetaType::QVariantList && value.isArray())
        || ((id == QMetaType::QVariantMap || id == QMetaType::QVariantHash) && value.isMap())
        || (id == QMetaType::Nullptr && value.isNull())) {
        if (natural.convert(type))
            return natural;
    }
    if (id == QMetaType::QCborMap && value.isMap())
        return QVariant::fromValue(value.toMap());
    if (id == QMetaType::QCborArray && value.isArray())
        return QVariant::fromValue(value.toArray());
    if ((id == QMetaType::QJsonValue || id == QMetaType::QJsonObject || id == QMetaType::QJsonArray)
        && natural.convert(type))
        return natural;
    return mismatch(type, value, why);
}

} // namespace

bool canTravel(QMetaType type, QString *why)
{
    return canTravelAt(type, 0, why);
}

QCborValue toCbor(const QVariant &value, QString *why)
{
    return toCborAt(value, 0, why);
}

void appendCborHead(QByteArray &out, quint8 majorType, quint64 argument)
{
    const auto major = char(majorType << 5);
    char head[9];
    qsizetype size = 1;
    if (argument < 24) {
        head[0] = char(major | char(argument));
    } else if (argument <= 0xff) {
        head[0] = char(major | 24);
        head[1] = char(argument);
        size = 2;
    } else if (argument <= 0xffff) {
        head[0] = char(major | 25);
        qToBigEndian(quint16(argument), head + 1);
        size = 3;
    } else if (argument <= 0xffffffffu) {
        head[0] = char(major | 26);
        qToBigEndian(quint32(argument), head + 1);
        size = 5;
    } else {
        head[0] = char(major | 27);
        qToBigEndian(argument, head + 1);
        size = 9;
    }
    out.append(head, size);
}

void appendCborInteger(QByteArray &out, qint64 value)
{
    if (value >= 0)
        appendCborHead(out, 0, quint64(value));
    else
        appendCborHead(out, 1, quint64(-1 - value)); // major type 1 holds -1 - n
}

bool appendCbor(QByteArray &out, QMetaType type, const void *value, QString *why)
{
    // The common types by hand: QCborStreamWriter writes through a QIODevice,
    // a call per item, and each emission and call is written anew.
    switch (type.id()) {
    case QMetaType::Int:
        appendCborInteger(out, *static_cast<const int *>(value));
        return true;
    case QMetaType::UInt:
        appendCborHead(out, 0, *static_cast<const uint *>(value));
        return true;
    case QMetaType::LongLong:
        appendCborInteger(out, *static_cast<const qlonglong *>(value));
        return true;
    case QMetaType::ULongLong:
        appendCborHead(out, 0, *static_cast<const qulonglong *>(value));
        return true;
    case QMetaType::Double: {
        char bytes[9] = {char(0xfb)};
        qToBigEndian(*static_cast<const double *>(value), bytes + 1);
        out.append(bytes, sizeof(bytes));
        return true;
    }
    case QMetaType::Bool:
        out.append(*static_cast<const bool *>(value) ? char(0xf5) : char(0xf4));
        return true;
    case QMetaType::QString: {
        const QByteArray utf8 = static_cast<const QString *>(value)->toUtf8();
        appendCborHead(out, 3, quint64(utf8.size()));
        out.append(utf8);
        return true;
    }
    case QMetaType::QByteArray: {
        const auto *bytes = static_cast<const QByteArray *>(value);
        appendCborHead(out, 2, quint64(bytes->size()));
        out.append(*bytes);
        return true;
    }
    default:
        break;
    }
    const QCborValue converted = toCborAt(QVariant(type, value), 0, why);
    if (converted.isInvalid())
        return false;
    out.append(converted.toCbor());
    return true;
}

namespace {

template<typename Chunk, typename Value>
bool readWhole(QCborStreamReader &reader, Chunk (QCborStreamReader::*read)(), Value *value)
{
    auto chunk = (reader.*read)();
    while (chunk.status == QCborStreamReader::Ok) {
        *value += chunk.data;
        chunk = (reader.*read)();
    }
    return chunk.status == QCborStreamReader::EndOfString;
}

} // namespace

QVariant readArgument(QCborStreamReader &reader)
{
    constexpr quint64 Largest = quint64(std::numeric_limits<qint64>::max());
    // Past the end of the data (a container that declared more items than
    // came) or after an error: nothing more to read.
    if (!reader.isValid() || reader.lastError() != QCborError::NoError)
        return {};
    QVariant value;
    switch (reader.type()) {
    case QCborStreamReader::UnsignedInteger:
        // Beyond qint64 it stays exact for a quint64 parameter (QCborValue
        // would hold it as a double).
        value = reader.toUnsignedInteger() > Largest ? QVariant(quint64(reader.toUnsignedInteger()))
                                                     : QVariant(qint64(reader.toUnsignedInteger()));
        return reader.next() ? value : QVariant();
    case QCborStreamReader::NegativeInteger: {
        const auto magnitude = quint64(reader.toNegativeInteger()); // the value is -magnitude
        if (magnitude > Largest)
            break;
        value = QVariant(-qint64(magnitude));
        return reader.next() ? value : QVariant();
    }
    case QCborStreamReader::Double:
        value = QVariant(reader.toDouble());
        return reader.next() ? value : QVariant();
    case QCborStreamReader::SimpleType:
        if (!reader.isBool())
            break;
        value = QVariant(reader.toBool());
        return reader.next() ? value : QVariant();
    case QCborStreamReader::String: {
        QString text;
        return readWhole(reader, &QCborStreamReader::readString, &text) ? QVariant(text) : QVariant();
    }
    case QCborStreamReader::ByteArray: {
        QByteArray bytes;
        return readWhole(reader, &QCborStreamReader::readByteArray, &bytes) ? QVariant(bytes) : QVariant();
    }
    default:
        break;
    }
    QCborValue item = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError || item.isInvalid())
        return {};
    return QVariant::fromValue(item);
}

QVariant argumentAs(QVariant argument, QMetaType type, QString *why)
{
    if (argument.metaType() == type)
        return argument;
    return fromCbor(argumentValue(argument), type, why);
}

QCborValue argumentValue(const QVariant &argument)
{
    switch (argument.metaType().id()) {
    case QMetaType::LongLong:
        return QCborValue(argument.toLongLong());
    case QMetaType::ULongLong: // only beyond qint64: QCborValue makes those doubles
        return QCborValue(double(argument.toULongLong()));
    case QMetaType::Double:
        return QCborValue(argument.toDouble());
    case QMetaType::Bool:
        return QCborValue(argument.toBool());
    case QMetaType::QString:
        return QCborValue(argument.toString());
    case QMetaType::QByteArray:
        return QCborValue(argument.toByteArray());
    default:
        return argument.value<QCborValue>();
    }
}

QVariant fromCbor(const QCborValue &value, QMetaType type, QString *why)
{
    return fromCborAt(value, type, 0, why);
}

} // namespace ipc::objects
