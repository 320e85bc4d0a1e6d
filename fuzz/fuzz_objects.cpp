// The remote-object layer's decoders, as a peer's bytes reach them: the
// first byte picks the operation and whether it is a call, the rest is its
// data. A source host with a small object takes it, and the interface and
// value decoders a replica uses read it too.
#include "objects/object_interface.h"
#include "objects/object_protocol.h"
#include "objects/source_host.h"
#include "objects/value_codec.h"
#include "telemetry/object_traffic.h"

#include <QCborArray>
#include <QObject>

#include <cstddef>
#include <cstdint>

namespace {

// A source with a property, a signal, and methods of a few types.
class Target : public QObject
{
    Q_OBJECT
    Q_PROPERTY(int value MEMBER value NOTIFY valueChanged)
public:
    using QObject::QObject;
    int value = 0;
    Q_INVOKABLE QList<int> list(const QVariantMap &options)
    {
        return { int(options.size()), value };
    }
public Q_SLOTS:
    void set(int number, const QString &text) { value = number + int(text.size()); }
Q_SIGNALS:
    void valueChanged();
};

class SilentChannel : public ipc::objects::ObjectChannel
{
public:
    QObject owner;
    QObject *context() const override { return const_cast<QObject *>(&owner); }
    ipc::Result send(quint64, qint32, const QByteArray &) override { return {}; }
    QFuture<ipc::Reply> call(
        quint64, qint32, const QByteArray &, std::chrono::milliseconds) override
    {
        return {};
    }
    ipc::Result answer(const ipc::Message &, const QByteArray &) override { return {}; }
    ipc::Result answerError(const ipc::Message &, ipc::Error, const QString &) override
    {
        return {};
    }
    void report(quint64, ipc::Error, const QString &) override { }
    void describe(const ipc::ObjectNames &) override { }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    const qint32 op = qint32(data[0] & 0x0f);
    const bool isCall = data[0] & 0x80;
    const QByteArray body(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    static SilentChannel channel;
    static Target object;
    static ipc::objects::SourceHost host(&channel, 7);
    static const bool exposed = host.expose(&object, QStringLiteral("o")).ok();
    Q_UNUSED(exposed)
    host.onMessage(ipc::Message { op, body, 1, isCall ? 1ULL : 0ULL });

    // Telemetry reads the head of every object message it counts.
    const quint64 label = ipc::telemetry::object_traffic::label(op, body);
    (void)ipc::telemetry::object_traffic::name(label, nullptr);
    (void)ipc::telemetry::object_traffic::arguments(label, body, 4096);

    QString why;
    ipc::objects::Emitted emitted;
    ipc::objects::decodeEmission(body, &emitted, &why);
    ipc::objects::Invocation invocation;
    if (ipc::objects::decodeInvocation(body, &invocation, &why)) {
        for (const QVariant &argument : invocation.arguments)
            (void)ipc::objects::argumentAs(argument, QMetaType::fromType<QStringList>(), &why);
    }
    ipc::objects::decodePropertyWrite(body, &invocation, &why);
    ipc::objects::MissedEmissions missed;
    ipc::objects::decodeMissed(body, &missed, &why);
    QCborValue item;
    if (ipc::objects::decodeItem(body, &item, &why)) {
        ipc::objects::Interface interface;
        ipc::objects::Interface::fromCbor(item, &interface, &why);
        for (const QMetaType type : { QMetaType::fromType<int>(), QMetaType::fromType<double>(),
                 QMetaType::fromType<QList<int>>(), QMetaType::fromType<QVariantMap>(),
                 QMetaType::fromType<QStringList>(), QMetaType::fromType<QDateTime>() })
            (void)ipc::objects::fromCbor(item, type, &why);
    }
    return 0;
}

#include "fuzz_objects.moc"
