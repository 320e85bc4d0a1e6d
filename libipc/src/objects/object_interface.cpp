#include "object_interface.h"

#include "value_codec.h"

#include <QCborArray>
#include <QMetaMethod>
#include <QMetaProperty>

namespace ipc::objects {

namespace {

// Bounds on a peer's description: far beyond any real interface.
constexpr qsizetype MaxMembers = 4096;
constexpr qsizetype MaxParameters = 64;

QString typeProblem(
    const char *what, const QByteArray &member, const QByteArray &type, const QString &why)
{
    return QStringLiteral("%1 %2: its type %3 cannot travel: %4")
        .arg(QLatin1String(what), QString::fromUtf8(member), QString::fromUtf8(type), why);
}

bool readMember(const QMetaMethod &method, Member *member, QString *why)
{
    member->name = method.name();
    member->metaIndex = method.methodIndex();
    member->returnType = method.typeName();
    const QList<QByteArray> names = method.parameterNames();
    for (int i = 0; i < method.parameterCount(); ++i) {
        const QByteArray type = method.parameterTypeName(i);
        QString problem;
        if (!canTravel(method.parameterMetaType(i), &problem)) {
            if (why)
                *why = typeProblem("parameter of", method.methodSignature(), type, problem);
            return false;
        }
        member->parameters.append(Parameter { type, names.value(i) });
    }
    if (method.returnMetaType().id() != QMetaType::Void) {
        QString problem;
        if (!canTravel(method.returnMetaType(), &problem)) {
            if (why)
                *why = typeProblem(
                    "result of", method.methodSignature(), member->returnType, problem);
            return false;
        }
    }
    return true;
}

QCborArray parametersToCbor(const QList<Parameter> &parameters)
{
    QCborArray out;
    for (const Parameter &parameter : parameters)
        out.append(QCborMap { { QStringLiteral("type"), QString::fromUtf8(parameter.type) },
            { QStringLiteral("name"), QString::fromUtf8(parameter.name) } });
    return out;
}

bool readName(
    const QCborValue &value, QByteArray *out, bool mayBeEmpty, QString *why, const char *what)
{
    const QByteArray text = value.toString().toUtf8();
    if (!value.isString() || (!mayBeEmpty && text.isEmpty()) || text.size() > MaxNameBytes) {
        if (why)
            *why = QStringLiteral("the interface has a missing or malformed %1")
                       .arg(QLatin1String(what));
        return false;
    }
    *out = text;
    return true;
}

bool membersFromCbor(const QCborValue &value, bool withResult, QList<Member> *out, QString *why)
{
    if (!value.isArray() || value.toArray().size() > MaxMembers) {
        if (why)
            *why = QStringLiteral("the interface's member list is malformed");
        return false;
    }
    for (const QCborValue &entry : value.toArray()) {
        Member member;
        if (!readName(entry[QStringLiteral("name")], &member.name, false, why, "member name"))
            return false;
        const QCborValue parameters = entry[QStringLiteral("parameters")];
        if (!parameters.isArray() || parameters.toArray().size() > MaxParameters) {
            if (why)
                *why = QStringLiteral("the interface's member %1 has a malformed parameter list")
                           .arg(QString::fromUtf8(member.name));
            return false;
        }
        for (const QCborValue &parameter : parameters.toArray()) {
            Parameter p;
            if (!readName(parameter[QStringLiteral("type")], &p.type, false, why, "parameter type")
                || !readName(
                    parameter[QStringLiteral("name")], &p.name, true, why, "parameter name"))
                return false;
            member.parameters.append(p);
        }
        member.returnType = "void";
        if (withResult
            && !readName(
                entry[QStringLiteral("returns")], &member.returnType, false, why, "result type"))
            return false;
        out->append(member);
    }
    return true;
}

QString describe(const Member &member, const char *kind)
{
    return QStringLiteral("%1 %2").arg(QLatin1String(kind), member.declaration());
}

// "the source's Thermostat has signal void alarm(QString text)", or "has no
// signal alarm", for a mismatch message.
QString sourceSide(
    const Interface &actual, const QList<Member> &members, const QByteArray &name, const char *kind)
{
    QStringList found;
    for (const Member &member : members) {
        if (member.name == name)
            found.append(member.declaration());
    }
    if (found.isEmpty())
        return QStringLiteral("the source's %1 has no %2 %3")
            .arg(QString::fromUtf8(actual.className), QLatin1String(kind), QString::fromUtf8(name));
    return QStringLiteral("the source's %1 has %2")
        .arg(QString::fromUtf8(actual.className), found.join(QStringLiteral(" and ")));
}

bool mismatch(QString *why, const QString &text)
{
    if (why)
        *why = QStringLiteral("interface mismatch: ") + text;
    return false;
}

} // namespace

QByteArray Member::signature() const
{
    QByteArray out = name + '(';
    for (qsizetype i = 0; i < parameters.size(); ++i) {
        if (i > 0)
            out += ',';
        out += parameters[i].type;
    }
    return out + ')';
}

ObjectNames Interface::names(quint64 handle, const QString &object) const
{
    ObjectNames out;
    out.handle = handle;
    out.object = object;
    for (const Member &member : signalList)
        out.signalList.append(QString::fromUtf8(member.signature()));
    for (const Member &member : methods)
        out.methods.append(QString::fromUtf8(member.signature()));
    for (const Property &property : properties)
        out.properties.append(QString::fromUtf8(property.name));
    return out;
}

QString Member::declaration() const
{
    QStringList list;
    for (const Parameter &parameter : parameters)
        list.append(parameter.name.isEmpty()
                ? QString::fromUtf8(parameter.type)
                : QString::fromUtf8(parameter.type + ' ' + parameter.name));
    return QStringLiteral("%1 %2(%3)")
        .arg(QString::fromUtf8(returnType.isEmpty() ? QByteArray("void") : returnType),
            QString::fromUtf8(name), list.join(QStringLiteral(", ")));
}

bool Interface::read(const QMetaObject *meta, Interface *out, QString *why, const QMetaObject *base)
{
    // A class generated from a .rep file names its interface, not itself.
    const int named = meta->indexOfClassInfo("ipc.class");
    out->className
        = named >= 0 ? QByteArray(meta->classInfo(named).value()) : QByteArray(meta->className());
    for (int i = base->methodCount(); i < meta->methodCount(); ++i) {
        const QMetaMethod method = meta->method(i);
        const bool isSignal = method.methodType() == QMetaMethod::Signal;
        const bool isCallable = (method.methodType() == QMetaMethod::Slot
                                    || method.methodType() == QMetaMethod::Method)
            && method.access() == QMetaMethod::Public;
        if (!isSignal && !isCallable)
            continue;
        Member member;
        if (!readMember(method, &member, why))
            return false;
        (isSignal ? out->signalList : out->methods).append(member);
    }
    for (int i = base->propertyCount(); i < meta->propertyCount(); ++i) {
        const QMetaProperty metaProperty = meta->property(i);
        Property property;
        property.name = metaProperty.name();
        property.type = metaProperty.typeName();
        property.writable = metaProperty.isWritable();
        property.metaIndex = i;
        QString problem;
        if (!canTravel(metaProperty.metaType(), &problem)) {
            if (why)
                *why = typeProblem("property", property.name, property.type, problem);
            return false;
        }
        if (metaProperty.hasNotifySignal())
            property.notifySignal = out->findSignal(metaProperty.notifySignal().methodSignature());
        out->properties.append(property);
    }
    return true;
}

QCborMap Interface::toCbor() const
{
    QCborArray signalArray;
    for (const Member &member : signalList)
        signalArray.append(QCborMap { { QStringLiteral("name"), QString::fromUtf8(member.name) },
            { QStringLiteral("parameters"), parametersToCbor(member.parameters) } });
    QCborArray methodArray;
    for (const Member &member : methods)
        methodArray.append(QCborMap { { QStringLiteral("name"), QString::fromUtf8(member.name) },
            { QStringLiteral("parameters"), parametersToCbor(member.parameters) },
            { QStringLiteral("returns"), QString::fromUtf8(member.returnType) } });
    QCborArray propertyArray;
    for (const Property &property : properties) {
        QCborMap entry { { QStringLiteral("name"), QString::fromUtf8(property.name) },
            { QStringLiteral("type"), QString::fromUtf8(property.type) },
            { QStringLiteral("writable"), property.writable } };
        if (property.notifySignal >= 0)
            entry.insert(QStringLiteral("notify"), property.notifySignal);
        propertyArray.append(entry);
    }
    return QCborMap { { QStringLiteral("class"), QString::fromUtf8(className) },
        { QStringLiteral("signals"), signalArray }, { QStringLiteral("methods"), methodArray },
        { QStringLiteral("properties"), propertyArray } };
}

bool Interface::fromCbor(const QCborValue &value, Interface *out, QString *why)
{
    *out = Interface();
    if (!value.isMap()) {
        if (why)
            *why = QStringLiteral("the interface is not a CBOR map");
        return false;
    }
    if (!readName(value[QStringLiteral("class")], &out->className, false, why, "class name")
        || !membersFromCbor(value[QStringLiteral("signals")], false, &out->signalList, why)
        || !membersFromCbor(value[QStringLiteral("methods")], true, &out->methods, why))
        return false;
    const QCborValue properties = value[QStringLiteral("properties")];
    if (!properties.isArray() || properties.toArray().size() > MaxMembers) {
        if (why)
            *why = QStringLiteral("the interface's property list is malformed");
        return false;
    }
    for (const QCborValue &entry : properties.toArray()) {
        Property property;
        if (!readName(entry[QStringLiteral("name")], &property.name, false, why, "property name")
            || !readName(
                entry[QStringLiteral("type")], &property.type, false, why, "property type"))
            return false;
        property.writable = entry[QStringLiteral("writable")].toBool();
        const QCborValue notify = entry[QStringLiteral("notify")];
        if (notify.isInteger()) {
            if (notify.toInteger() < 0 || notify.toInteger() >= out->signalList.size()) {
                if (why)
                    *why = QStringLiteral(
                        "the interface's property %1 names a notify signal that does not exist")
                               .arg(QString::fromUtf8(property.name));
                return false;
            }
            property.notifySignal = int(notify.toInteger());
        }
        out->properties.append(property);
    }
    return true;
}

int Interface::findSignal(const QByteArray &signature) const
{
    for (qsizetype i = 0; i < signalList.size(); ++i) {
        if (signalList[i].signature() == signature)
            return int(i);
    }
    return -1;
}

int Interface::findMethod(const QByteArray &signature) const
{
    for (qsizetype i = 0; i < methods.size(); ++i) {
        if (methods[i].signature() == signature)
            return int(i);
    }
    return -1;
}

int Interface::findProperty(const QByteArray &name) const
{
    for (qsizetype i = 0; i < properties.size(); ++i) {
        if (properties[i].name == name)
            return int(i);
    }
    return -1;
}

bool matchInterface(
    const Interface &expected, const Interface &actual, InterfaceMap *map, QString *why)
{
    *map = InterfaceMap();
    map->signalToLocal = QList<int>(actual.signalList.size(), -1);
    map->propertyToLocal = QList<int>(actual.properties.size(), -1);
    for (qsizetype i = 0; i < expected.signalList.size(); ++i) {
        const Member &wanted = expected.signalList[i];
        const int index = actual.findSignal(wanted.signature());
        if (index < 0)
            return mismatch(why,
                QStringLiteral("the replica expects %1; %2")
                    .arg(describe(wanted, "signal"),
                        sourceSide(actual, actual.signalList, wanted.name, "signal")));
        map->signalToLocal[index] = int(i);
    }
    for (qsizetype i = 0; i < expected.methods.size(); ++i) {
        const Member &wanted = expected.methods[i];
        const int index = actual.findMethod(wanted.signature());
        if (index < 0 || actual.methods[index].returnType != wanted.returnType)
            return mismatch(why,
                QStringLiteral("the replica expects %1; %2")
                    .arg(describe(wanted, "method"),
                        sourceSide(actual, actual.methods, wanted.name, "method")));
        map->methodToSource.append(index);
    }
    for (qsizetype i = 0; i < expected.properties.size(); ++i) {
        const Property &wanted = expected.properties[i];
        const int index = actual.findProperty(wanted.name);
        if (index < 0)
            return mismatch(why,
                QStringLiteral("the replica expects property %1 %2; the source's %3 has no such "
                               "property")
                    .arg(QString::fromUtf8(wanted.type), QString::fromUtf8(wanted.name),
                        QString::fromUtf8(actual.className)));
        const Property &found = actual.properties[index];
        if (found.type != wanted.type || (wanted.writable && !found.writable))
            return mismatch(why,
                QStringLiteral("the replica expects property %1 %2%3; the source's %4 has %5 %6%7")
                    .arg(QString::fromUtf8(wanted.type), QString::fromUtf8(wanted.name),
                        wanted.writable ? QStringLiteral(" (writable)") : QString(),
                        QString::fromUtf8(actual.className), QString::fromUtf8(found.type),
                        QString::fromUtf8(found.name),
                        found.writable ? QStringLiteral(" (writable)")
                                       : QStringLiteral(" (read-only)")));
        map->propertyToLocal[index] = int(i);
        map->propertyToSource.append(index);
    }
    return true;
}

} // namespace ipc::objects
