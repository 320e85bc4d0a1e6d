#include "source_host.h"

#include "object_protocol.h"
#include "value_codec.h"

#include "../logging.h"

#include <QMetaMethod>
#include <QMetaProperty>
#include <QRandomGenerator>

namespace ipc::objects {

// Receives every interface signal of one exposed object through
// QMetaObject::connect() to method indices past QObject's own (as
// QSignalSpy does), so no per-class code is needed.
class SignalRelay : public QObject
{
public:
    SignalRelay(SourceHost *host, quint64 handle)
        : m_host(host)
        , m_handle(handle)
    {
    }

    int qt_metacall(QMetaObject::Call call, int id, void **argv) override
    {
        id = QObject::qt_metacall(call, id, argv);
        if (id < 0 || call != QMetaObject::InvokeMetaMethod)
            return id;
        m_host->relay(m_handle, id, argv);
        return -1;
    }

private:
    SourceHost *const m_host;
    const quint64 m_handle;
};

namespace {

QString listNames(const QStringList &names)
{
    return names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "));
}

} // namespace

SourceHost::SourceHost(ObjectChannel *channel, quint64 firstHandle)
    : m_channel(channel)
    // Below 2^40, so a handle stays an exact number in JavaScript too.
    , m_nextHandle(firstHandle != 0 ? firstHandle
                                    : 1 + QRandomGenerator::global()->bounded(quint64(1) << 39))
{
}

// The connection ends with the host: replicas learn it from that, and a
// notice queued now would only be reported as unconfirmed.
SourceHost::~SourceHost()
{
    for (auto &entry : m_exposed) {
        QObject::disconnect(entry.second->destroyed);
        if (entry.second->object)
            QObject::disconnect(entry.second->object, nullptr, entry.second->relay.get(), nullptr);
    }
}

Result SourceHost::expose(QObject *object, const QString &name)
{
    if (!object)
        return Result::failure(
            Error::InvalidArgument, QStringLiteral("exposeObject refused: the object is null"));
    if (name.isEmpty() || name.toUtf8().size() > 1024)
        return Result::failure(Error::InvalidArgument,
            QStringLiteral("exposeObject refused: a name must have 1 to 1024 bytes"));
    if (m_exposed.count(name))
        return Result::failure(Error::InvalidArgument,
            QStringLiteral("exposeObject refused: an object is already exposed as \"%1\"")
                .arg(name));
    if (object->thread() != m_channel->context()->thread())
        return Result::failure(Error::InvalidArgument,
            QStringLiteral("exposeObject refused: \"%1\" lives in another thread than its host; "
                           "move it there, or expose it from a Client or Server in its thread")
                .arg(name));
    auto exposed = std::make_unique<Exposed>();
    QString why;
    if (!Interface::read(object->metaObject(), &exposed->interface, &why))
        return Result::failure(Error::InvalidArgument,
            QStringLiteral("exposeObject refused for \"%1\" (%2): %3")
                .arg(name, QString::fromLatin1(object->metaObject()->className()), why));
    exposed->name = name;
    exposed->object = object;
    exposed->interfaceCbor = exposed->interface.toCbor();
    exposed->handle = m_nextHandle++;
    exposed->relay = std::make_unique<SignalRelay>(this, exposed->handle);
    const int firstSlot = QObject::staticMetaObject.methodCount();
    for (qsizetype i = 0; i < exposed->interface.signalList.size(); ++i)
        QMetaObject::connect(object, exposed->interface.signalList[i].metaIndex,
            exposed->relay.get(), firstSlot + int(i), Qt::AutoConnection);
    exposed->destroyed = QObject::connect(object, &QObject::destroyed, m_channel->context(),
        [this, name] { withdraw(name, QStringLiteral("the object was deleted")); });
    m_channel->describe(exposed->interface.names(exposed->handle, name));
    qCInfo(lcObjects) << "exposed" << name << "as" << object->metaObject()->className();
    m_exposed.emplace(name, std::move(exposed));
    return {};
}

bool SourceHost::withdraw(const QString &name, const QString &reason)
{
    const auto it = m_exposed.find(name);
    if (it == m_exposed.end())
        return false;
    withdrawExposed(it, reason);
    return true;
}

void SourceHost::withdrawExposed(
    std::map<QString, std::unique_ptr<Exposed>>::iterator it, const QString &reason)
{
    std::unique_ptr<Exposed> exposed = std::move(it->second);
    m_exposed.erase(it);
    QObject::disconnect(exposed->destroyed);
    if (exposed->object)
        QObject::disconnect(exposed->object, nullptr, exposed->relay.get(), nullptr);
    const QByteArray notice = encode(QCborArray { qint64(exposed->handle), reason });
    for (const auto &[peer, count] : exposed->subscribers) {
        Q_UNUSED(count)
        m_channel->send(peer, Withdrawn, notice); // a peer already gone needs no notice
    }
    qCInfo(lcObjects) << "withdrew" << exposed->name << ":" << reason;
}

QStringList SourceHost::names() const
{
    QStringList out;
    for (const auto &entry : m_exposed)
        out.append(entry.first);
    return out;
}

SourceHost::Exposed *SourceHost::byHandle(quint64 handle) const
{
    for (const auto &entry : m_exposed) {
        if (entry.second->handle == handle)
            return entry.second.get();
    }
    return nullptr;
}

QCborArray SourceHost::propertyValues(const Exposed &exposed) const
{
    QCborArray values;
    const QMetaObject *meta = exposed.object->metaObject();
    for (const Property &property : exposed.interface.properties)
        values.append(toCbor(meta->property(property.metaIndex).read(exposed.object)));
    return values;
}

void SourceHost::onMessage(const Message &message)
{
    switch (message.type) {
    case Acquire:
        return onAcquire(message);
    case Release:
        return onRelease(message);
    case Invoke:
        return onInvoke(message);
    case SetProperty:
        return onSetProperty(message);
    case List:
        return onList(message);
    default:
        refuse(message, Error::ProtocolError,
            QStringLiteral("object message refused: %1 is not an operation a source takes")
                .arg(opName(message.type)));
    }
}

// A call gets an error reply; a one-way message is reported for its peer.
void SourceHost::refuse(const Message &message, Error error, const QString &text)
{
    if (message.isRequest())
        m_channel->answerError(message, error, text);
    else
        m_channel->report(message.clientId, error, text);
}

void SourceHost::onAcquire(const Message &message)
{
    QString name;
    QString why;
    if (!message.isRequest() || !decodeName(message.data, &name, &why))
        return refuse(message, Error::ProtocolError,
            QStringLiteral("acquire refused: %1")
                .arg(why.isEmpty() ? QStringLiteral("not a call") : why));
    const auto it = m_exposed.find(name);
    if (it == m_exposed.end())
        return refuse(message, Error::ObjectNotFound,
            QStringLiteral("no object is exposed as \"%1\" (exposed: %2)")
                .arg(name, listNames(names())));
    Exposed &exposed = *it->second;
    ++exposed.subscribers[message.clientId];
    exposed.missed.erase(message.clientId); // the values below bring it up to date
    m_channel->answer(message,
        encode(QCborMap { { QStringLiteral("handle"), qint64(exposed.handle) },
            { QStringLiteral("interface"), exposed.interfaceCbor },
            { QStringLiteral("properties"), propertyValues(exposed) } }));
}

void SourceHost::onRelease(const Message &message)
{
    quint64 handle = 0;
    QString why;
    if (!decodeHandle(message.data, &handle, &why))
        return refuse(
            message, Error::ProtocolError, QStringLiteral("release refused: %1").arg(why));
    Exposed *exposed = byHandle(handle);
    if (!exposed)
        return; // withdrawn meanwhile: nothing to release
    const auto it = exposed->subscribers.find(message.clientId);
    if (it != exposed->subscribers.end() && --it->second <= 0) {
        exposed->subscribers.erase(it);
        exposed->missed.erase(message.clientId);
    }
}

void SourceHost::onInvoke(const Message &message)
{
    Invocation call;
    QString why;
    if (!message.isRequest() || !decodeInvocation(message.data, &call, &why))
        return refuse(message, Error::ProtocolError,
            QStringLiteral("call refused: %1")
                .arg(why.isEmpty() ? QStringLiteral("not a call") : why));
    Exposed *exposed = byHandle(call.handle);
    if (!exposed || !exposed->object)
        return refuse(message, Error::ObjectNotFound,
            QStringLiteral("call refused: the object was withdrawn (handle %1)").arg(call.handle));
    if (call.member >= exposed->interface.methods.size())
        return refuse(message, Error::ObjectNotFound,
            QStringLiteral("call refused: %1 has no method number %2")
                .arg(exposed->name)
                .arg(call.member));
    const Member &member = exposed->interface.methods[call.member];
    const QMetaMethod method = exposed->object->metaObject()->method(member.metaIndex);
    // Named only when something goes wrong: a call's cost stays its own.
    const auto what = [name = exposed->name, member] { // copies: a slot may withdraw the object
        return QStringLiteral("%1.%2").arg(name, QString::fromUtf8(member.signature()));
    };
    if (call.arguments.size() != method.parameterCount())
        return refuse(message, Error::InvalidArgument,
            QStringLiteral("call refused: %1 takes %2 argument(s), got %3")
                .arg(what())
                .arg(method.parameterCount())
                .arg(call.arguments.size()));
    QVariantList arguments;
    std::vector<void *> argv(size_t(method.parameterCount()) + 1, nullptr);
    arguments.reserve(method.parameterCount());
    for (int i = 0; i < method.parameterCount(); ++i) {
        QVariant argument = argumentAs(std::move(call.arguments[i]), method.parameterMetaType(i), &why);
        if (!argument.isValid())
            return refuse(message, Error::InvalidArgument,
                QStringLiteral("call refused: argument %1 of %2: %3").arg(i + 1).arg(what(), why));
        arguments.append(std::move(argument));
    }
    for (int i = 0; i < method.parameterCount(); ++i)
        argv[size_t(i) + 1] = arguments[i].data();
    QVariant result;
    if (method.returnMetaType().id() != QMetaType::Void) {
        result = QVariant(method.returnMetaType());
        argv[0] = result.data();
    }
    // A slot may withdraw or delete the object, or the host: the reply
    // needs only the channel, which outlives this call.
    ObjectChannel *channel = m_channel;
    QObject *object = exposed->object;
    QMetaObject::metacall(object, QMetaObject::InvokeMetaMethod, method.methodIndex(), argv.data());
    QByteArray answer;
    answer.reserve(16);
    if (!result.isValid())
        answer.append(char(0xf6)); // null
    else if (!appendCbor(answer, result.metaType(), result.constData(), &why)) {
        channel->answerError(message, Error::InvalidArgument,
            QStringLiteral("the result of %1 cannot travel: %2").arg(what(), why));
        return;
    }
    channel->answer(message, answer);
}

void SourceHost::onSetProperty(const Message &message)
{
    Invocation call;
    QString why;
    if (!message.isRequest() || !decodePropertyWrite(message.data, &call, &why))
        return refuse(message, Error::ProtocolError,
            QStringLiteral("property write refused: %1")
                .arg(why.isEmpty() ? QStringLiteral("not [handle, property, value]") : why));
    Exposed *exposed = byHandle(call.handle);
    if (!exposed || !exposed->object)
        return refuse(message, Error::ObjectNotFound,
            QStringLiteral("property write refused: the object was withdrawn (handle %1)")
                .arg(call.handle));
    if (call.member >= exposed->interface.properties.size())
        return refuse(message, Error::ObjectNotFound,
            QStringLiteral("property write refused: %1 has no property number %2")
                .arg(exposed->name)
                .arg(call.member));
    const Property &property = exposed->interface.properties[call.member];
    const QString what
        = QStringLiteral("%1.%2").arg(exposed->name, QString::fromUtf8(property.name));
    if (!property.writable)
        return refuse(message, Error::InvalidArgument,
            QStringLiteral("property write refused: %1 is read-only").arg(what));
    const QMetaProperty metaProperty = exposed->object->metaObject()->property(property.metaIndex);
    const QVariant value = argumentAs(std::move(call.arguments[0]), metaProperty.metaType(), &why);
    if (!value.isValid())
        return refuse(message, Error::InvalidArgument,
            QStringLiteral("property write refused: %1: %2").arg(what, why));
    ObjectChannel *channel = m_channel;
    if (metaProperty.write(exposed->object, value))
        channel->answer(message, encode(QCborValue(QCborValue::Null)));
    else
        channel->answerError(message, Error::InvalidArgument,
            QStringLiteral("property write refused: %1 did not take the value").arg(what));
}

void SourceHost::onList(const Message &message)
{
    if (!message.isRequest())
        return refuse(message, Error::ProtocolError, QStringLiteral("list refused: not a call"));
    QCborArray objects;
    for (const auto &entry : m_exposed)
        objects.append(QCborMap { { QStringLiteral("name"), entry.first },
            { QStringLiteral("interface"), entry.second->interfaceCbor } });
    m_channel->answer(message, encode(objects));
}

void SourceHost::relay(quint64 handle, int signal, void **argv)
{
    Exposed *exposed = byHandle(handle);
    if (!exposed || !exposed->object || exposed->subscribers.empty()
        || signal >= exposed->interface.signalList.size())
        return;
    const QMetaObject *meta = exposed->object->metaObject();
    const QMetaMethod method = meta->method(exposed->interface.signalList[signal].metaIndex);
    // Written straight to CBOR, once for every subscriber: [handle, signal,
    // [arguments], {property: value}].
    int notified = 0;
    for (const Property &property : exposed->interface.properties)
        notified += property.notifySignal == signal ? 1 : 0;
    QByteArray data;
    data.reserve(64);
    appendCborArray(data, 4);
    appendCborInteger(data, qint64(handle));
    appendCborInteger(data, signal);
    appendCborArray(data, quint64(method.parameterCount()));
    QString why;
    for (int i = 0; i < method.parameterCount(); ++i) {
        if (!appendCbor(data, method.parameterMetaType(i), argv[i + 1], &why)) {
            qCWarning(lcObjects) << "signal" << method.methodSignature() << "of" << exposed->name
                                 << "not forwarded:" << why;
            return;
        }
    }
    appendCborMap(data, quint64(notified));
    for (qsizetype i = 0; notified > 0 && i < exposed->interface.properties.size(); ++i) {
        const Property &property = exposed->interface.properties[i];
        if (property.notifySignal != signal)
            continue;
        appendCborInteger(data, i);
        const QVariant value = meta->property(property.metaIndex).read(exposed->object);
        if (!appendCbor(data, value.metaType(), value.constData(), &why))
            data.append(char(0xf6)); // checked when exposed: cannot happen; null keeps the shape
    }
    // A copy: a refused peer may be dropped from the map meanwhile.
    std::vector<quint64> peers;
    peers.reserve(exposed->subscribers.size());
    for (const auto &entry : exposed->subscribers)
        peers.push_back(entry.first);
    for (const quint64 peer : peers)
        deliverEmission(*exposed, peer, data);
}

bool SourceHost::sendMissed(const Exposed &exposed, quint64 peer, quint64 count)
{
    return m_channel
        ->send(peer, Missed,
            encode(QCborArray { qint64(exposed.handle), qint64(count), propertyValues(exposed) }))
        .ok();
}

bool SourceHost::deliverEmission(Exposed &exposed, quint64 peer, const QByteArray &data)
{
    const auto lagging = exposed.missed.find(peer);
    if (lagging != exposed.missed.end()) {
        // It missed some: the values they changed come first, with the count.
        if (!sendMissed(exposed, peer, lagging->second)) {
            ++lagging->second;
            return false;
        }
        exposed.missed.erase(lagging);
    }
    const Result sent = m_channel->send(peer, Emission, data);
    if (sent.ok())
        return true;
    if (sent.error == Error::WriteQueueFull) {
        // Back-pressure: nothing piles up here; the replica hears how many
        // it missed, with fresh values, once its queue has room.
        ++exposed.missed[peer];
        return false;
    }
    exposed.subscribers.erase(peer); // it cannot be reached: its connection is gone for good
    exposed.missed.erase(peer);
    return false;
}

void SourceHost::peerWritable(quint64 peer)
{
    for (auto &entry : m_exposed) {
        Exposed &exposed = *entry.second;
        const auto lagging = exposed.missed.find(peer);
        if (lagging == exposed.missed.end() || !exposed.object)
            continue;
        if (sendMissed(exposed, peer, lagging->second))
            exposed.missed.erase(peer);
    }
}

void SourceHost::peerGone(quint64 peer)
{
    for (auto &entry : m_exposed) {
        entry.second->subscribers.erase(peer);
        entry.second->missed.erase(peer);
    }
}

} // namespace ipc::objects

namespace ipc::objects {

namespace {

template<typename Map>
void rename(Map &map, quint64 from, quint64 to)
{
    auto node = map.extract(from);
    if (node.empty())
        return;
    node.key() = to;
    map.insert(std::move(node));
}

} // namespace

void SourceHost::peerRenamed(quint64 from, quint64 to)
{
    for (auto &entry : m_exposed) {
        rename(entry.second->subscribers, from, to);
        rename(entry.second->missed, from, to);
    }
}

} // namespace ipc::objects
