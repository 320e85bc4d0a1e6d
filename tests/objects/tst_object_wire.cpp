// The remote-object layer's bytes: the worked example of docs/PROTOCOL.md
// section 7c checked byte for byte against what the library writes, and a
// peer's malformed object messages refused one by one with a reason,
// without touching the object.
#include "objects/object_protocol.h"
#include "objects/source_host.h"
#include "objects/value_codec.h"
#include "wire/control.h"

#include <QCborStreamReader>
#include <QCborStreamWriter>
#include <QtTest>

#include <limits>

using ipc::Error;
using ipc::Message;
using ipc::Result;

namespace {

// PROTOCOL.md's example object.
class Lamp : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool on READ isOn WRITE setOn NOTIFY onChanged)
public:
    using QObject::QObject;
    bool isOn() const { return m_on; }
    int toggles = 0;
public Q_SLOTS:
    void setOn(bool on)
    {
        if (m_on == on)
            return;
        m_on = on;
        Q_EMIT onChanged(on);
    }
    void toggle()
    {
        ++toggles;
        setOn(!m_on);
    }
Q_SIGNALS:
    void onChanged(bool on);

private:
    bool m_on = true;
};

// A property whose value is a list.
class Palette : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QStringList colours READ colours WRITE setColours NOTIFY coloursChanged)
public:
    QStringList colours() const { return m_colours; }
    void setColours(const QStringList &colours)
    {
        m_colours = colours;
        Q_EMIT coloursChanged();
    }
Q_SIGNALS:
    void coloursChanged();

private:
    QStringList m_colours;
};

// What the layer hands the side below, in order.
class RecordingChannel : public ipc::objects::ObjectChannel
{
public:
    struct Sent
    {
        QString what; // "send", "answer", "error", "report"
        qint32 op = 0;
        QByteArray data;
        qint32 code = 0;
    };
    QObject context_;
    QList<Sent> sent;

    QObject *context() const override { return const_cast<QObject *>(&context_); }
    Result send(quint64, qint32 op, const QByteArray &data) override
    {
        sent.append({ QStringLiteral("send"), op, data });
        return {};
    }
    QFuture<ipc::Reply> call(
        quint64, qint32, const QByteArray &, std::chrono::milliseconds) override
    {
        return {};
    }
    Result answer(const Message &call, const QByteArray &data) override
    {
        sent.append({ QStringLiteral("answer"), call.type, data });
        return {};
    }
    Result answerError(const Message &call, Error error, const QString &text) override
    {
        sent.append({ QStringLiteral("error"), call.type, text.toUtf8(), qint32(error) });
        return {};
    }
    void report(quint64, Error error, const QString &text) override
    {
        sent.append({ QStringLiteral("report"), 0, text.toUtf8(), qint32(error) });
    }
    void describe(const ipc::ObjectNames &names) override { described.append(names); }
    QList<ipc::ObjectNames> described;
};

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(QByteArray(text).replace(' ', ""));
}

// A frame as section 3 writes it: length, type, data.
QByteArray frame(qint32 type, const QByteArray &data)
{
    QByteArray out(8, Qt::Uninitialized);
    qToBigEndian<quint32>(quint32(4 + data.size()), out.data());
    qToBigEndian<qint32>(type, out.data() + 4);
    return out + data;
}

QByteArray tag(quint64 id, ipc::wire::Correlation::Kind kind = ipc::wire::Correlation::Object)
{
    return frame(0, ipc::wire::encodeCorrelation(ipc::wire::Correlation { kind, 0, id }));
}

} // namespace

class TestObjectWire : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void workedExample()
    {
        Lamp lamp;
        RecordingChannel channel;
        ipc::objects::SourceHost host(&channel, 7);
        QVERIFY(host.expose(&lamp, QStringLiteral("lamp")).ok());

        // 1. The replica acquires "lamp" (its call number 1).
        const QByteArray acquire
            = ipc::objects::encode(QCborMap { { QStringLiteral("name"), QStringLiteral("lamp") } });
        QCOMPARE(tag(1) + frame(ipc::objects::Acquire, acquire),
            hex("00 00 00 0d 00 00 00 00 0b 00 00 00 00 00 00 00 01"
                "00 00 00 0f 00 00 00 01 a1 64 6e 61 6d 65 64 6c 61 6d 70"));
        host.onMessage(Message { ipc::objects::Acquire, acquire, 1, 1 });
        QCOMPARE(channel.sent.size(), 1);
        QCOMPARE(channel.sent[0].what, QStringLiteral("answer"));
        // {"handle": 7, "interface": {...}, "properties": [true]}
        QCOMPARE(channel.sent[0].data,
            hex("a3 66 68616e646c65 07"
                "69 696e74657266616365 a4"
                "65 636c617373 64 4c616d70"
                "67 7369676e616c73 81 a2 64 6e616d65 69 6f6e4368616e676564"
                "6a 706172616d6574657273 81 a2 64 74797065 64 626f6f6c 64 6e616d65 62 6f6e"
                "67 6d6574686f6473 82"
                "a3 64 6e616d65 65 7365744f6e 6a 706172616d6574657273 81 a2 64 74797065 64 626f6f6c"
                "64 6e616d65 62 6f6e 67 72657475726e73 64 766f6964"
                "a3 64 6e616d65 66 746f67676c65 6a 706172616d6574657273 80 67 72657475726e73 64 "
                "766f6964"
                "6a 70726f70657274696573 81 a4 64 6e616d65 62 6f6e 64 74797065 64 626f6f6c"
                "68 7772697461626c65 f5 66 6e6f74696679 00"
                "6a 70726f70657274696573 81 f5"));

        // 2. The replica calls toggle() (call number 2): [7, 1, []].
        const QByteArray invoke = ipc::objects::encode(QCborArray { 7, 1, QCborArray() });
        QCOMPARE(tag(2) + frame(ipc::objects::Invoke, invoke),
            hex("00 00 00 0d 00 00 00 00 0b 00 00 00 00 00 00 00 02"
                "00 00 00 08 00 00 00 04 83 07 01 80"));
        host.onMessage(Message { ipc::objects::Invoke, invoke, 1, 2 });
        QCOMPARE(lamp.toggles, 1);
        // The slot emitted onChanged(false) on its way: the emission, with
        // the property it notifies, goes out before the call's answer.
        QCOMPARE(channel.sent.size(), 3);
        QCOMPARE(channel.sent[1].what, QStringLiteral("send"));
        QCOMPARE(channel.sent[1].op, qint32(ipc::objects::Emission));
        QCOMPARE(tag(0) + frame(channel.sent[1].op, channel.sent[1].data),
            hex("00 00 00 0d 00 00 00 00 0b 00 00 00 00 00 00 00 00"
                "00 00 00 0c 00 00 00 03 84 07 00 81 f4 a1 00 f4"));
        QCOMPARE(channel.sent[2].what, QStringLiteral("answer"));
        QCOMPARE(
            tag(2, ipc::wire::Correlation::Reply) + frame(channel.sent[2].op, channel.sent[2].data),
            hex("00 00 00 0d 00 00 00 00 08 00 00 00 00 00 00 00 02"
                "00 00 00 05 00 00 00 04 f6"));

        // 3. A call of a method the object does not have: an error reply
        // whose code is ipc::Error::ObjectNotFound (23).
        host.onMessage(Message {
            ipc::objects::Invoke, ipc::objects::encode(QCborArray { 7, 9, QCborArray() }), 1, 3 });
        QCOMPARE(channel.sent.size(), 4);
        QCOMPARE(channel.sent[3].what, QStringLiteral("error"));
        QCOMPARE(channel.sent[3].code, 23);
        QCOMPARE(int(Error::ObjectNotFound), 23);
        QCOMPARE(int(Error::InterfaceMismatch), 24);
        QCOMPARE(int(Error::InvalidArgument), 25);
    }

    // The replica's emission decoder reads a stream; every way to get it
    // wrong is refused with a reason.
    void emissionDecoder_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QString>("says"); // empty: decodes
        QTest::newRow("valid") << hex("84 07 00 81 f4 a1 00 f4") << QString();
        QTest::newRow("not CBOR") << hex("ff") << "malformed CBOR";
        QTest::newRow("three elements") << hex("83 07 00 80") << "an emission is not";
        QTest::newRow("bytes after it")
            << hex("84 07 00 80 a0 00") << "1 bytes after the CBOR item";
        QTest::newRow("handle 0") << hex("84 00 00 80 a0") << "an emission is not";
        QTest::newRow("negative signal") << hex("84 07 20 80 a0") << "an emission is not";
        QTest::newRow("properties not a map") << hex("84 07 00 80 80") << "an emission is not";
        QTest::newRow("cut short") << hex("84 07 00 82 f4") << "malformed CBOR";
        QTest::newRow("cut inside an argument")
            << hex("84 03 03 82 45 00 82 11") << "malformed CBOR";
        QTest::newRow("map key without a value") << hex("84 07 00 80 a1 00") << "malformed CBOR";
    }
    void emissionDecoder()
    {
        QFETCH(QByteArray, data);
        QFETCH(QString, says);
        ipc::objects::Emitted emitted;
        QString why;
        const bool decoded = ipc::objects::decodeEmission(data, &emitted, &why);
        QCOMPARE(decoded, says.isEmpty());
        if (decoded) {
            QCOMPARE(emitted.handle, 7ULL);
            QCOMPARE(emitted.signal, 0);
            QCOMPARE(emitted.arguments, QVariantList { false });
            QCOMPARE(emitted.properties.size(), 1);
            QCOMPARE(emitted.properties[0].first, 0);
            QCOMPARE(emitted.properties[0].second, QVariant(false));
        } else {
            QVERIFY2(why.contains(says), qPrintable(why));
        }
    }

    void malformedMessagesAreRefusedOneByOne_data()
    {
        QTest::addColumn<qint32>("op");
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("isCall");
        QTest::addColumn<QString>("says");
        QTest::newRow("not CBOR") << qint32(ipc::objects::Acquire) << QByteArray("\xff\x00", 2)
                                  << true << "malformed CBOR";
        QTest::newRow("bytes after the item")
            << qint32(ipc::objects::Invoke) << hex("83 07 01 80 00") << true
            << "1 bytes after the CBOR item";
        QTest::newRow("acquire without a name")
            << qint32(ipc::objects::Acquire) << hex("a0") << true << "not {\"name\": text}";
        QTest::newRow("acquire one-way")
            << qint32(ipc::objects::Acquire)
            << ipc::objects::encode(QCborMap { { QStringLiteral("name"), QStringLiteral("lamp") } })
            << false << "not a call";
        QTest::newRow("invoke of a short array") << qint32(ipc::objects::Invoke) << hex("82 07 01")
                                                 << true << "not [handle, member, arguments]";
        QTest::newRow("negative member") << qint32(ipc::objects::Invoke) << hex("83 07 20 80")
                                         << true << "not [handle, member, arguments]";
        QTest::newRow("huge member") << qint32(ipc::objects::Invoke) << hex("83 07 1a ffffffff 80")
                                     << true << "not [handle, member, arguments]";
        QTest::newRow("more arguments declared than came") // found by fuzz_objects: it grew without end
            << qint32(ipc::objects::Invoke) << hex("83 07 00 9a 82fafa00 00 00") << true
            << "malformed CBOR";
        QTest::newRow("unknown handle") << qint32(ipc::objects::Invoke) << hex("83 18 63 00 80")
                                        << true << "withdrawn (handle 99)";
        QTest::newRow("argument of the wrong type")
            << qint32(ipc::objects::Invoke) << hex("83 07 00 81 63 796573") << true
            << "expected bool, got a string";
        QTest::newRow("deeply nested argument")
            << qint32(ipc::objects::Invoke)
            << QByteArray("\x83\x07\x00\x81", 4) + QByteArray(200, '\x81') + hex("f5") << true
            << "expected bool, got an array";
        QTest::newRow("write of a property that does not exist")
            << qint32(ipc::objects::SetProperty) << hex("83 07 05 f5") << true
            << "no property number 5";
        QTest::newRow("release of nonsense")
            << qint32(ipc::objects::Release) << hex("a1 66 68616e646c65 60") << false
            << "not {\"handle\": number}";
        QTest::newRow("an operation a source does not take")
            << qint32(ipc::objects::Emission) << hex("80") << false
            << "emission is not an operation a source takes";
        QTest::newRow("an unknown operation") << qint32(77) << hex("80") << true << "operation 77";
    }
    void malformedMessagesAreRefusedOneByOne()
    {
        QFETCH(qint32, op);
        QFETCH(QByteArray, data);
        QFETCH(bool, isCall);
        QFETCH(QString, says);
        Lamp lamp;
        RecordingChannel channel;
        ipc::objects::SourceHost host(&channel, 7);
        QVERIFY(host.expose(&lamp, QStringLiteral("lamp")).ok());
        host.onMessage(Message { op, data, 1, isCall ? 5ULL : 0ULL });
        QCOMPARE(channel.sent.size(), 1);
        QCOMPARE(channel.sent[0].what, isCall ? QStringLiteral("error") : QStringLiteral("report"));
        QVERIFY2(QString::fromUtf8(channel.sent[0].data).contains(says),
            channel.sent[0].data.constData());
        QCOMPARE(lamp.toggles, 0);
        QCOMPARE(lamp.isOn(), true);
        // The host goes on: a good call after it works.
        host.onMessage(Message {
            ipc::objects::Invoke, ipc::objects::encode(QCborArray { 7, 1, QCborArray() }), 1, 6 });
        QCOMPARE(lamp.toggles, 1);
    }

    // Emissions and calls write their common argument types without
    // QCborStreamWriter: the bytes are the ones it writes, and each reads
    // back (readArgument, argumentAs) as the value it was.
    void argumentCodecMatchesQt_data()
    {
        QTest::addColumn<QVariant>("value");
        for (const qint64 n : { 0LL, 23LL, 24LL, 255LL, 256LL, 65535LL, 65536LL, 4294967295LL,
                 4294967296LL, std::numeric_limits<qint64>::max(), -1LL, -24LL, -25LL, -256LL, -257LL,
                 -65537LL, std::numeric_limits<qint64>::min() })
            QTest::addRow("qint64 %lld", n) << QVariant(qlonglong(n));
        for (const int n : { 0, -7, 100000, std::numeric_limits<int>::min() })
            QTest::addRow("int %d", n) << QVariant(n);
        QTest::newRow("uint max") << QVariant(std::numeric_limits<uint>::max());
        QTest::newRow("quint64 max") << QVariant(std::numeric_limits<qulonglong>::max());
        for (const double d : { 0.0, 21.5, -1e300, 1.0 / 3, std::numeric_limits<double>::infinity() })
            QTest::addRow("double %g", d) << QVariant(d);
        QTest::newRow("true") << QVariant(true);
        QTest::newRow("false") << QVariant(false);
        QTest::newRow("empty text") << QVariant(QString());
        QTest::newRow("text") << QVariant(QStringLiteral("grüße, 温度"));
        QTest::newRow("long text") << QVariant(QString(300, QLatin1Char('t')));
        QTest::newRow("empty bytes") << QVariant(QByteArray());
        QTest::newRow("bytes") << QVariant(QByteArray(70, '\x01'));
        QTest::newRow("a list (the general path)") << QVariant(QVariantList { 1, QStringLiteral("a") });
    }
    void argumentCodecMatchesQt()
    {
        QFETCH(QVariant, value);
        QByteArray fast;
        QString why;
        QVERIFY2(ipc::objects::appendCbor(fast, value.metaType(), value.constData(), &why), qPrintable(why));
        QByteArray qt;
        {
            QCborStreamWriter writer(&qt);
            // As arguments were written before: a double in all eight bytes,
            // an unsigned integer as one (QCborValue would make the largest a double).
            if (value.metaType().id() == QMetaType::Double)
                writer.append(value.toDouble());
            else if (value.metaType().id() == QMetaType::ULongLong || value.metaType().id() == QMetaType::UInt)
                writer.append(value.toULongLong());
            else
                ipc::objects::toCbor(value).toCbor(writer);
        }
        QCOMPARE(fast.toHex(' '), qt.toHex(' '));
        QCborStreamReader reader(fast);
        const QVariant raw = ipc::objects::readArgument(reader);
        QVERIFY(raw.isValid());
        QCOMPARE(reader.currentOffset(), fast.size());
        const QVariant back = ipc::objects::argumentAs(raw, value.metaType(), &why);
        QVERIFY2(back.isValid(), qPrintable(why));
        QCOMPARE(back, value);
    }

    // A property whose value is a list is written as one value, whatever
    // its length.
    void listPropertyWrite()
    {
        Palette palette;
        RecordingChannel channel;
        ipc::objects::SourceHost host(&channel, 7);
        QVERIFY(host.expose(&palette, QStringLiteral("palette")).ok());
        host.onMessage(Message { ipc::objects::SetProperty,
            ipc::objects::encode(
                QCborArray { 7, 0, QCborArray { QStringLiteral("red"), QStringLiteral("blue") } }),
            1, 5 });
        // The emission of coloursChanged() (no subscriber: none), then the answer.
        QCOMPARE(channel.sent.size(), 1);
        QCOMPARE(channel.sent[0].what, QStringLiteral("answer"));
        QCOMPARE(palette.colours(), (QStringList { QStringLiteral("red"), QStringLiteral("blue") }));
    }
};

QTEST_GUILESS_MAIN(TestObjectWire)
#include "tst_object_wire.moc"
