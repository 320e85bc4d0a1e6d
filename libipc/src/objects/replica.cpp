// Replica, DynamicReplica and RemoteCallError: what a replica shows its
// user, and how a source's messages change it (ReplicaPrivate).
#include "replica_p.h"

#include "replica_node.h"
#include "value_codec.h"

#include "../logging.h"

#include <QCborStreamReader>
#include <QEventLoop>
#include <QMetaMethod>
#include <QMetaProperty>
#include <QPromise>
#include <QTimer>

namespace ipc {

using namespace objects;

namespace {

// "QString describe(int)" -> return type and normalised signature.
bool parseDeclaration(const QByteArray &text, QByteArray *returnType, Member *member)
{
    const QByteArray declaration = text.trimmed();
    const int open = declaration.indexOf('(');
    const int space = declaration.lastIndexOf(' ', open);
    if (open < 0 || space < 0 || !declaration.endsWith(')'))
        return false;
    *returnType = QMetaObject::normalizedType(declaration.left(space).constData());
    const QByteArray signature
        = QMetaObject::normalizedSignature(declaration.mid(space + 1).constData());
    const int paren = signature.indexOf('(');
    member->name = signature.left(paren);
    const QByteArray list = signature.mid(paren + 1, signature.size() - paren - 2);
    int depth = 0;
    QByteArray current;
    for (const char c : list) {
        if (c == '<')
            ++depth;
        else if (c == '>')
            --depth;
        if (c == ',' && depth == 0) {
            member->parameters.append(Parameter { current, {} });
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.isEmpty())
        member->parameters.append(Parameter { current, {} });
    member->returnType = *returnType;
    return !member->name.isEmpty();
}

QFuture<QVariant> failedCall(Error error, const QString &text)
{
    QPromise<QVariant> promise;
    QFuture<QVariant> future = promise.future();
    promise.start();
    promise.setException(RemoteCallError(error, text));
    promise.finish();
    return future;
}

// The result's type as the source declared it, when this side knows it.
QMetaType declaredType(const QByteArray &name)
{
    if (name.isEmpty() || name == "void")
        return QMetaType();
    return QMetaType::fromName(name);
}

QVariant readValue(const QCborValue &value, QMetaType type, QString *why)
{
    if (type.isValid() && canTravel(type, nullptr))
        return fromCbor(value, type, why);
    return value.toVariant();
}

} // namespace

// --- RemoteCallError

RemoteCallError::RemoteCallError(Error error, const QString &text)
    : m_error(error)
    , m_text(text)
    , m_utf8(text.toUtf8())
{
}

// --- ReplicaPrivate

ReplicaPrivate::ReplicaPrivate(Replica *q)
    : q(q)
{
}

bool ReplicaPrivate::readExpected(QString *why)
{
    if (q->isDynamic())
        return true;
    const QMetaObject *meta = q->metaObject();
    if (!Interface::read(meta, &expected, why, &Replica::staticMetaObject))
        return false;
    expected.methods.clear(); // a typed replica's methods return futures: they are listed below
    for (int i = meta->classInfoOffset(); i < meta->classInfoCount(); ++i) {
        const QMetaClassInfo info = meta->classInfo(i);
        if (qstrcmp(info.name(), "ipc.methods") == 0) {
            for (const QByteArray &text : QByteArray(info.value()).split(';')) {
                if (text.trimmed().isEmpty())
                    continue;
                Member member;
                QByteArray returnType;
                if (!parseDeclaration(text, &returnType, &member)) {
                    if (why)
                        *why = QStringLiteral("%1 lists a malformed method \"%2\" in ipc.methods")
                                   .arg(QString::fromLatin1(meta->className()),
                                       QString::fromUtf8(text));
                    return false;
                }
                expected.methods.append(member);
            }
        } else if (qstrcmp(info.name(), "ipc.writable") == 0) {
            for (const QByteArray &name : QByteArray(info.value()).split(',')) {
                const int index = expected.findProperty(name.trimmed());
                if (index >= 0)
                    expected.properties[index].writable = true;
            }
        }
    }
    return true;
}

void ReplicaPrivate::setState(Replica::State newState)
{
    if (state == newState)
        return;
    state = newState;
    if (newState == Replica::State::Valid) {
        error = Error::NoError;
        errorString.clear();
    }
    Q_EMIT q->stateChanged(newState);
}

void ReplicaPrivate::fail(Replica::State newState, Error newError, const QString &text)
{
    qCInfo(lcObjects) << text;
    error = newError;
    errorString = text;
    const QPointer<Replica> alive(q);
    setState(newState);
    if (alive)
        Q_EMIT q->errorOccurred(newError);
}

void ReplicaPrivate::onAcquired(const QCborValue &answer)
{
    Interface source;
    QString why;
    const QCborValue handleValue = answer[QStringLiteral("handle")];
    const QCborArray properties = answer[QStringLiteral("properties")].toArray();
    if (!answer.isMap() || !handleValue.isInteger() || handleValue.toInteger() <= 0
        || !Interface::fromCbor(answer[QStringLiteral("interface")], &source, &why)
        || properties.size() != source.properties.size())
        return fail(Replica::State::SourceGone, Error::ProtocolError,
            QStringLiteral("acquire of \"%1\": the answer is malformed%2")
                .arg(name, why.isEmpty() ? QString() : QStringLiteral(": ") + why));
    InterfaceMap newMap;
    if (!q->isDynamic() && !matchInterface(expected, source, &newMap, &why))
        return fail(Replica::State::InterfaceMismatch, Error::InterfaceMismatch,
            QStringLiteral("\"%1\": %2").arg(name, why));
    if (q->isDynamic()) {
        newMap.signalToLocal = QList<int>(source.signalList.size(), -1);
        newMap.propertyToLocal = QList<int>(source.properties.size(), -1);
    }
    // The old values by name, to tell which changed across a restart.
    QVariantMap before;
    for (qsizetype i = 0; i < actual.properties.size() && i < values.size(); ++i)
        before.insert(QString::fromUtf8(actual.properties[i].name), values[i]);
    actual = source;
    map = newMap;
    methodCache.clear(); // the new source may number its methods otherwise
    handle = quint64(handleValue.toInteger());
    node->channel()->describe(actual.names(handle, name));
    values = QVariantList(actual.properties.size());
    QList<int> changed;
    for (qsizetype i = 0; i < properties.size(); ++i) {
        QVariant value = convertProperty(int(i), properties[i], &why);
        if (!value.isValid() && !properties[i].isNull())
            return fail(Replica::State::InterfaceMismatch, Error::InvalidArgument,
                QStringLiteral("\"%1\": the value of property %2 cannot be read: %3")
                    .arg(name, QString::fromUtf8(actual.properties[i].name), why));
        const QString propertyName = QString::fromUtf8(actual.properties[i].name);
        if (everValid && (!before.contains(propertyName) || before.value(propertyName) != value))
            changed.append(int(i));
        values[i] = std::move(value);
    }
    const bool resynchronising = std::exchange(everValid, true);
    const QPointer<Replica> alive(q);
    setState(Replica::State::Valid);
    if (!alive || !resynchronising)
        return;
    notifyChanged(changed);
    if (alive)
        Q_EMIT q->resynchronized(0);
}

void ReplicaPrivate::onEmission(const Emitted &emitted)
{
    if (state != Replica::State::Valid && state != Replica::State::Suspect)
        return;
    const QPointer<Replica> alive(q);
    QString why;
    for (const auto &[index, raw] : emitted.properties) {
        if (index < 0 || index >= values.size()) {
            fail(state, Error::ProtocolError,
                QStringLiteral("\"%1\": an emission names property %2, which does not exist")
                    .arg(name)
                    .arg(index));
            return;
        }
        const QVariant value = convertProperty(int(index), raw, &why);
        if (!value.isValid() && !argumentValue(raw).isNull()) {
            fail(state, Error::InvalidArgument,
                QStringLiteral("\"%1\": a value of property %2 cannot be read: %3")
                    .arg(name, QString::fromUtf8(actual.properties[index].name), why));
            continue;
        }
        if (storeProperty(int(index), value, q->isDynamic()) && !alive)
            return;
    }
    if (emitted.signal >= actual.signalList.size())
        return fail(state, Error::ProtocolError,
            QStringLiteral("\"%1\": an emission names signal %2, which does not exist")
                .arg(name)
                .arg(emitted.signal));
    const Member &signal = actual.signalList[emitted.signal];
    if (q->isDynamic()) {
        QVariantList arguments;
        for (qsizetype i = 0; i < emitted.arguments.size(); ++i) {
            const QMetaType type = i < signal.parameters.size()
                ? declaredType(signal.parameters[i].type)
                : QMetaType();
            arguments.append(readValue(argumentValue(emitted.arguments[i]), type, &why));
        }
        q->dynamicSignal(QString::fromUtf8(signal.signature()), arguments);
        return;
    }
    const int local = map.signalToLocal.value(emitted.signal, -1);
    if (local >= 0)
        emitLocal(local, emitted.arguments);
}

void ReplicaPrivate::onMissed(const MissedEmissions &missed)
{
    if ((state != Replica::State::Valid && state != Replica::State::Suspect)
        || missed.properties.size() != values.size())
        return;
    QList<int> changed;
    QString why;
    for (qsizetype i = 0; i < missed.properties.size(); ++i) {
        const QVariant value = convertProperty(int(i), missed.properties[i], &why);
        if (value != values[i]) {
            values[i] = value;
            changed.append(int(i));
        }
    }
    const QPointer<Replica> alive(q);
    notifyChanged(changed);
    if (alive)
        Q_EMIT q->resynchronized(missed.count);
}

QVariant ReplicaPrivate::convertProperty(
    int sourceIndex, const QCborValue &value, QString *why) const
{
    const int local = map.propertyToLocal.value(sourceIndex, -1);
    if (local >= 0) {
        const QMetaProperty property
            = q->metaObject()->property(expected.properties[local].metaIndex);
        return fromCbor(value, property.metaType(), why);
    }
    return readValue(value, declaredType(actual.properties[sourceIndex].type), why);
}

QVariant ReplicaPrivate::convertProperty(int sourceIndex, const QVariant &raw, QString *why) const
{
    const int local = map.propertyToLocal.value(sourceIndex, -1);
    if (local >= 0) {
        const QMetaProperty property
            = q->metaObject()->property(expected.properties[local].metaIndex);
        return argumentAs(raw, property.metaType(), why);
    }
    return readValue(argumentValue(raw), declaredType(actual.properties[sourceIndex].type), why);
}

bool ReplicaPrivate::storeProperty(int sourceIndex, const QVariant &value, bool notify)
{
    if (values[sourceIndex] == value)
        return false;
    values[sourceIndex] = value;
    if (notify)
        q->dynamicPropertyChanged(QString::fromUtf8(actual.properties[sourceIndex].name), value);
    return true;
}

void ReplicaPrivate::notifyChanged(const QList<int> &sourceIndices)
{
    const QPointer<Replica> alive(q);
    for (const int index : sourceIndices) {
        if (!alive)
            return;
        if (q->isDynamic()) {
            q->dynamicPropertyChanged(
                QString::fromUtf8(actual.properties[index].name), values[index]);
            continue;
        }
        const int local = map.propertyToLocal.value(index, -1);
        if (local < 0)
            continue;
        const QMetaProperty property
            = q->metaObject()->property(expected.properties[local].metaIndex);
        if (!property.hasNotifySignal())
            continue;
        const QMetaMethod notify = property.notifySignal();
        QVariant value = values[index];
        void *argv[] = { nullptr, value.data() };
        if (notify.parameterCount() == 0
            || (notify.parameterCount() == 1 && notify.parameterMetaType(0) == property.metaType()))
            QMetaObject::metacall(q, QMetaObject::InvokeMetaMethod, notify.methodIndex(), argv);
    }
}

void ReplicaPrivate::emitLocal(int local, const QVariantList &arguments)
{
    const QMetaMethod signal = q->metaObject()->method(expected.signalList[local].metaIndex);
    if (arguments.size() != signal.parameterCount())
        return fail(state, Error::ProtocolError,
            QStringLiteral("\"%1\": an emission of %2 has %3 argument(s)")
                .arg(name, QString::fromLatin1(signal.methodSignature()))
                .arg(arguments.size()));
    QVariantList values;
    std::vector<void *> argv(size_t(arguments.size()) + 1, nullptr);
    QString why;
    for (int i = 0; i < signal.parameterCount(); ++i) {
        QVariant value = argumentAs(arguments[i], signal.parameterMetaType(i), &why);
        if (!value.isValid())
            return fail(state, Error::InvalidArgument,
                QStringLiteral("\"%1\": argument %2 of %3 cannot be read: %4")
                    .arg(name)
                    .arg(i + 1)
                    .arg(QString::fromLatin1(signal.methodSignature()), why));
        values.append(std::move(value));
    }
    for (int i = 0; i < signal.parameterCount(); ++i)
        argv[size_t(i) + 1] = values[i].data();
    QMetaObject::metacall(q, QMetaObject::InvokeMetaMethod, signal.methodIndex(), argv.data());
}

int ReplicaPrivate::findMethod(const QString &member, int count, QString *why) const
{
    const QByteArray wanted = member.toUtf8();
    if (wanted.contains('(')) {
        const int index = actual.findMethod(QMetaObject::normalizedSignature(wanted.constData()));
        if (index < 0 && why)
            *why = QStringLiteral("\"%1\" (%2) has no method %3")
                       .arg(name, QString::fromUtf8(actual.className), member);
        return index;
    }
    int found = -1;
    bool named = false;
    for (qsizetype i = 0; i < actual.methods.size(); ++i) {
        if (actual.methods[i].name != wanted)
            continue;
        named = true;
        if (actual.methods[i].parameters.size() != count)
            continue;
        if (found >= 0) {
            if (why)
                *why
                    = QStringLiteral("\"%1\": %2 has more than one overload taking %3 argument(s); "
                                     "name it by its signature")
                          .arg(name, member)
                          .arg(count);
            return -1;
        }
        found = int(i);
    }
    if (found < 0 && why)
        *why = named ? QStringLiteral("\"%1\": no overload of %2 takes %3 argument(s)")
                           .arg(name, member)
                           .arg(count)
                     : QStringLiteral("\"%1\" (%2) has no method %3")
                           .arg(name, QString::fromUtf8(actual.className), member);
    return found;
}

int ReplicaPrivate::sourceMethod(const QByteArray &signature)
{
    const auto cached = methodCache.constFind(signature);
    if (cached != methodCache.constEnd())
        return *cached;
    const QByteArray normalised = QMetaObject::normalizedSignature(signature.constData());
    int method = actual.findMethod(normalised);
    if (!q->isDynamic()) {
        const int local = expected.findMethod(normalised);
        method = local < 0 ? -1 : map.methodToSource.value(local, -1);
    }
    if (method >= 0)
        methodCache.insert(signature, method);
    return method;
}

// --- Replica

Replica::Replica(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ReplicaPrivate>(this))
{
}

Replica::~Replica()
{
    if (d->node)
        d->node->detach(d.get());
}

QString Replica::sourceName() const
{
    return d->name;
}

QString Replica::sourceClassName() const
{
    return QString::fromUtf8(d->actual.className);
}

Replica::State Replica::state() const
{
    return d->state;
}

Error Replica::error() const
{
    return d->error;
}

QString Replica::errorString() const
{
    return d->errorString;
}

bool Replica::waitForValid(std::chrono::milliseconds timeout)
{
    const auto settled = [this] {
        return d->state == State::Valid || d->state == State::InterfaceMismatch
            || d->state == State::SourceGone;
    };
    if (!settled() || (d->state == State::SourceGone && d->acquiring)) {
        QEventLoop loop;
        QTimer timer;
        timer.setSingleShot(true);
        connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        connect(this, &Replica::stateChanged, &loop, [&] {
            if (settled())
                loop.quit();
        });
        timer.start(timeout);
        loop.exec();
    }
    return d->state == State::Valid;
}

QVariant Replica::propertyValue(const char *name) const
{
    const int local = d->expected.findProperty(name);
    if (local < 0 || local >= d->map.propertyToSource.size())
        return QVariant(metaObject()->property(metaObject()->indexOfProperty(name)).metaType());
    return d->values.value(d->map.propertyToSource[local]);
}

QFuture<QVariant> Replica::invokeMethod(const QByteArray &signature, const QVariantList &arguments,
    QMetaType resultType, std::chrono::milliseconds timeout)
{
    PendingCall call;
    QFuture<Reply> answer = startCall(signature, arguments, resultType, timeout, &call);
    return answer.then([call = std::move(call)](const Reply &reply) { return call.result(reply); });
}

QFuture<Reply> Replica::startCall(const QByteArray &signature, const QVariantList &arguments,
    QMetaType resultType, std::chrono::milliseconds timeout, PendingCall *call)
{
    call->object = d->name;
    call->signature = signature;
    call->dynamic = isDynamic();
    // The text for errors is made only when there is one: a call's own
    // cost is a cached lookup and the arguments written as CBOR.
    const auto what = [this, &signature] {
        return QStringLiteral("%1.%2").arg(
            d->name, QString::fromUtf8(QMetaObject::normalizedSignature(signature.constData())));
    };
    const auto refuse = [call](Error error, const QString &text) {
        call->refusedWith = error;
        call->refusal = text;
        Reply reply;
        reply.error = error;
        reply.errorString = text;
        QPromise<Reply> promise;
        QFuture<Reply> future = promise.future();
        promise.start();
        promise.addResult(reply);
        promise.finish();
        return future;
    };
    if (!d->node)
        return refuse(Error::NotConnected,
            QStringLiteral("call of %1 refused: its Client or Server is gone").arg(what()));
    if (d->state != State::Valid && d->state != State::Suspect)
        return refuse(d->state == State::Waiting ? Error::NotConnected : Error::ObjectNotFound,
            QStringLiteral("call of %1 refused: the replica is not valid (%2)")
                .arg(what(),
                    d->errorString.isEmpty() ? QStringLiteral("still acquiring; wait for Valid")
                                             : d->errorString));
    const int method = d->sourceMethod(signature);
    if (method < 0)
        return refuse(Error::ObjectNotFound,
            QStringLiteral("call of %1 refused: no such method").arg(what()));
    // [handle, method, [arguments]]
    QByteArray data;
    data.reserve(32);
    appendCborArray(data, 3);
    appendCborInteger(data, qint64(d->handle));
    appendCborInteger(data, method);
    appendCborArray(data, quint64(arguments.size()));
    QString why;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QVariant &argument = arguments[i];
        if (!argument.isValid()) {
            data.append(char(0xf6)); // null
            continue;
        }
        if (!appendCbor(data, argument.metaType(), argument.constData(), &why))
            return refuse(Error::InvalidArgument,
                QStringLiteral("call of %1 refused: argument %2: %3")
                    .arg(what())
                    .arg(i + 1)
                    .arg(why));
    }
    if (resultType.id() == QMetaType::UnknownType && isDynamic())
        resultType = declaredType(d->actual.methods[method].returnType);
    call->resultType = resultType;
    return d->node->channel()->call(d->peer, Invoke, data, timeout);
}

// Runs as the answer is read (a continuation without a context object):
// it needs nothing of the replica.
QVariant Replica::PendingCall::result(const Reply &reply) const
{
    if (!refusal.isEmpty())
        throw RemoteCallError(refusedWith, refusal);
    const auto what = [this] {
        return QStringLiteral("%1.%2").arg(
            object, QString::fromUtf8(QMetaObject::normalizedSignature(signature.constData())));
    };
    if (!reply.isOk()) {
        throw RemoteCallError(errorOf(reply),
            QStringLiteral("call of %1 failed: %2").arg(what(), reply.errorString));
    }
    QString problem;
    QCborStreamReader reader(reply.message.data);
    const QVariant raw = readArgument(reader);
    if (!raw.isValid() || reader.currentOffset() != reply.message.data.size()) {
        decodeItem(reply.message.data, nullptr, &problem);
        throw RemoteCallError(Error::ProtocolError,
            QStringLiteral("call of %1: the result is malformed: %2")
                .arg(what(), problem.isEmpty() ? QStringLiteral("bytes after it") : problem));
    }
    if (!resultType.isValid()) { // void: nothing, but a dynamic replica shows what came
        const QCborValue value = argumentValue(raw);
        return dynamic && !value.isNull() ? value.toVariant() : QVariant();
    }
    if (raw.metaType() == resultType)
        return raw;
    const QCborValue value = argumentValue(raw);
    QVariant result = readValue(value, resultType, &problem);
    if (!result.isValid() && !value.isNull())
        throw RemoteCallError(Error::InvalidArgument,
            QStringLiteral("call of %1: the result cannot be read: %2").arg(what(), problem));
    return result;
}

QFuture<void> Replica::writeProperty(
    const QByteArray &name, const QVariant &value, std::chrono::milliseconds timeout)
{
    const QString what = QStringLiteral("%1.%2").arg(d->name, QString::fromUtf8(name));
    const auto refused = [](Error error, const QString &text) {
        return failedCall(error, text).then([](const QVariant &) {});
    };
    if (!d->node)
        return refused(Error::NotConnected,
            QStringLiteral("write of %1 refused: its Client or Server is gone").arg(what));
    if (d->state != State::Valid && d->state != State::Suspect)
        return refused(Error::NotConnected,
            QStringLiteral("write of %1 refused: the replica is not valid").arg(what));
    const int index = d->actual.findProperty(name);
    if (index < 0)
        return refused(Error::ObjectNotFound,
            QStringLiteral("write of %1 refused: no such property").arg(what));
    QString why;
    // [handle, property, value]
    QByteArray data;
    data.reserve(32);
    appendCborArray(data, 3);
    appendCborInteger(data, qint64(d->handle));
    appendCborInteger(data, index);
    if (!value.isValid())
        data.append(char(0xf6)); // null
    else if (!appendCbor(data, value.metaType(), value.constData(), &why))
        return refused(
            Error::InvalidArgument, QStringLiteral("write of %1 refused: %2").arg(what, why));
    QFuture<Reply> answer = d->node->channel()->call(d->peer, SetProperty, data, timeout);
    return answer.then([what](const Reply &reply) {
        if (reply.isOk())
            return;
        throw RemoteCallError(
            errorOf(reply), QStringLiteral("write of %1 failed: %2").arg(what, reply.errorString));
    });
}

void Replica::dynamicSignal(const QString &, const QVariantList &) { }

void Replica::dynamicPropertyChanged(const QString &, const QVariant &) { }

// --- DynamicReplica

DynamicReplica::DynamicReplica(QObject *parent)
    : Replica(parent)
{
}

DynamicReplica::~DynamicReplica() = default;

QStringList DynamicReplica::members() const
{
    QStringList out;
    for (const Member &member : d->actual.signalList)
        out.append(QStringLiteral("signal ") + member.declaration());
    for (const Member &member : d->actual.methods)
        out.append(QStringLiteral("method ") + member.declaration());
    for (const Property &property : d->actual.properties)
        out.append(QStringLiteral("property %1 %2%3")
                       .arg(QString::fromUtf8(property.type), QString::fromUtf8(property.name),
                           property.writable ? QStringLiteral(" (writable)") : QString()));
    return out;
}

QVariant DynamicReplica::value(const QString &name) const
{
    const int index = d->actual.findProperty(name.toUtf8());
    return index < 0 ? QVariant() : d->values.value(index);
}

QVariantMap DynamicReplica::values() const
{
    QVariantMap out;
    for (qsizetype i = 0; i < d->actual.properties.size() && i < d->values.size(); ++i)
        out.insert(QString::fromUtf8(d->actual.properties[i].name), d->values[i]);
    return out;
}

QFuture<QVariant> DynamicReplica::call(
    const QString &method, const QVariantList &arguments, std::chrono::milliseconds timeout)
{
    if (state() != State::Valid && state() != State::Suspect)
        return invokeMethod(
            method.toUtf8(), arguments, QMetaType(), timeout); // refused with the reason
    QString why;
    const int index = d->findMethod(method, int(arguments.size()), &why);
    if (index < 0)
        return failedCall(Error::ObjectNotFound, QStringLiteral("call refused: %1").arg(why));
    return invokeMethod(d->actual.methods[index].signature(), arguments, QMetaType(), timeout);
}

QFuture<void> DynamicReplica::setValue(
    const QString &name, const QVariant &value, std::chrono::milliseconds timeout)
{
    return writeProperty(name.toUtf8(), value, timeout);
}

QMetaObject::Connection DynamicReplica::onSignal(
    const QString &signal, QObject *context, std::function<void(const QVariantList &)> slot)
{
    const QString byName
        = signal.contains(QLatin1Char('(')) ? QString() : signal + QLatin1Char('(');
    const QString exact = byName.isEmpty()
        ? QString::fromLatin1(QMetaObject::normalizedSignature(signal.toUtf8().constData()))
        : QString();
    return connect(this, &DynamicReplica::signalEmitted, context,
        [byName, exact, slot = std::move(slot)](
            const QString &signature, const QVariantList &arguments) {
            if (signature == exact || (!byName.isEmpty() && signature.startsWith(byName)))
                slot(arguments);
        });
}

void DynamicReplica::dynamicSignal(const QString &name, const QVariantList &arguments)
{
    Q_EMIT signalEmitted(name, arguments);
}

void DynamicReplica::dynamicPropertyChanged(const QString &name, const QVariant &value)
{
    Q_EMIT valueChanged(name, value);
}

} // namespace ipc
