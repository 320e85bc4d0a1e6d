// Control messages byte for byte, as docs/PROTOCOL.md's worked example shows.
#include "wire/control.h"
#include "wire/frame_writer.h"
#include "wire/preamble.h"

#include <QtTest>

using namespace ipc::wire;

class TestControl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helloFrameMatchesTheSpecification()
    {
        Hello hello;
        hello.maxMessageSize = 3145728;
        hello.pid = 1234;
        hello.processName = QStringLiteral("app");
        hello.libraryVersion = QStringLiteral("0.1.0");
        hello.features = Feature::Acknowledgements | Feature::Requests;
        hello.instance = 0x1122334455667788ULL;
        hello.windowMessages = 1024;
        hello.windowBytes = 16777216;
        const QByteArray data = encodeHello(hello);
        QByteArray frame;
        appendMessageFrame(frame, 0, data.constData(), data.size());
        QCOMPARE(frame.toHex(' '), QByteArray("00 00 00 2f 00 00 00 00 01 00 30 00 00 00 00 00 00 00 00 04 d2 "
                                              "03 61 70 70 05 30 2e 31 2e 30 "
                                              "00 00 00 03 11 22 33 44 55 66 77 88 00 00 04 00 01 00 00 00"));
        Hello decoded;
        QString error;
        QVERIFY(decodeHello(data.constData(), data.size(), &decoded, &error));
        QCOMPARE(decoded.pid, 1234u);
        QCOMPARE(decoded.maxMessageSize, 3145728u);
        QCOMPARE(decoded.processName, QStringLiteral("app"));
        QCOMPARE(decoded.libraryVersion, QStringLiteral("0.1.0"));
        QCOMPARE(decoded.features, quint32(Feature::Acknowledgements | Feature::Requests));
        QCOMPARE(decoded.instance, 0x1122334455667788ULL);
        QCOMPARE(decoded.windowMessages, 1024u);
        QCOMPARE(decoded.windowBytes, 16777216u);
    }

    // A hello without the delivery block (a peer from before it) is valid
    // and offers no acknowledgements; a cut block is not.
    void helloWithoutDeliveryBlock()
    {
        Hello hello;
        hello.processName = QStringLiteral("app");
        hello.libraryVersion = QStringLiteral("0.1.0");
        hello.features = Feature::Acknowledgements;
        const QByteArray data = encodeHello(hello);
        Hello decoded;
        QString error;
        QVERIFY(decodeHello(data.constData(), data.size() - 20, &decoded, &error));
        QCOMPARE(decoded.features, 0u);
        QVERIFY(!decodeHello(data.constData(), data.size() - 1, &decoded, &error));
        QVERIFY2(error.contains(QLatin1String("truncated delivery block")), qPrintable(error));
    }

    // docs/PROTOCOL.md, section 9's second example, byte for byte.
    void ackAndResumeMatchTheSpecification()
    {
        QByteArray frame;
        const QByteArray ack = encodeControl(ControlKind::Ack, 3);
        appendMessageFrame(frame, 0, ack.constData(), ack.size());
        QCOMPARE(frame.toHex(' '), QByteArray("00 00 00 0d 00 00 00 00 05 00 00 00 00 00 00 00 03"));

        Resume resume;
        resume.stream = 0x1122334455667788ULL;
        resume.firstSequence = 3;
        resume.peerStream = 0x99aabbccddeeff00ULL;
        resume.delivered = 7;
        const QByteArray data = encodeResume(resume);
        frame.clear();
        appendMessageFrame(frame, 0, data.constData(), data.size());
        QCOMPARE(frame.toHex(' '), QByteArray("00 00 00 25 00 00 00 00 06 11 22 33 44 55 66 77 88 "
                                              "00 00 00 00 00 00 00 03 99 aa bb cc dd ee ff 00 "
                                              "00 00 00 00 00 00 00 07"));
        Resume decoded;
        QVERIFY(decodeResume(data.constData(), data.size(), &decoded));
        QCOMPARE(decoded.stream, resume.stream);
        QCOMPARE(decoded.firstSequence, 3u);
        QCOMPARE(decoded.peerStream, resume.peerStream);
        QCOMPARE(decoded.delivered, 7u);
        QVERIFY(!decodeResume(data.constData(), data.size() - 1, &decoded));
    }

    // docs/PROTOCOL.md section 9: a request (5), its reply, and an error
    // reply (6, code 42), each tag right before its user message.
    void requestAndReplyMatchTheSpecification()
    {
        const auto tagged = [](const Correlation &tag, qint32 type, const QByteArray &data) {
            QByteArray frame;
            const QByteArray control = encodeCorrelation(tag);
            appendMessageFrame(frame, 0, control.constData(), control.size());
            appendMessageFrame(frame, type, data.constData(), data.size());
            return frame.toHex(' ');
        };
        QCOMPARE(tagged(Correlation{Correlation::Request, 0, 5}, 1, "2+3"),
                 QByteArray("00 00 00 0d 00 00 00 00 07 00 00 00 00 00 00 00 05 "
                            "00 00 00 07 00 00 00 01 32 2b 33"));
        QCOMPARE(tagged(Correlation{Correlation::Reply, 0, 5}, 2, "5"),
                 QByteArray("00 00 00 0d 00 00 00 00 08 00 00 00 00 00 00 00 05 "
                            "00 00 00 05 00 00 00 02 35"));
        QCOMPARE(tagged(Correlation{Correlation::ErrorReply, 42, 6}, 1, "nope"),
                 QByteArray("00 00 00 11 00 00 00 00 09 00 00 00 00 00 00 00 06 00 00 00 2a "
                            "00 00 00 08 00 00 00 01 6e 6f 70 65"));
        Correlation decoded;
        const QByteArray error = encodeCorrelation(Correlation{Correlation::ErrorReply, -7, 9});
        QVERIFY(decodeCorrelation(error.constData(), error.size(), &decoded));
        QCOMPARE(decoded.kind, Correlation::ErrorReply);
        QCOMPARE(decoded.code, -7);
        QCOMPARE(decoded.id, 9u);
        QVERIFY(!decodeCorrelation(error.constData(), error.size() - 1, &decoded)); // cut short
        const QByteArray zero = encodeCorrelation(Correlation{Correlation::Reply, 0, 0});
        QVERIFY(!decodeCorrelation(zero.constData(), zero.size(), &decoded)); // id 0 is not an id
    }

    void truncatedHelloIsRefused_data()
    {
        QTest::addColumn<int>("keep");
        for (int keep : {0, 1, 12, 13, 15, 17, 20})
            QTest::addRow("%d bytes", keep) << keep;
    }

    void truncatedHelloIsRefused()
    {
        QFETCH(int, keep);
        Hello hello;
        hello.processName = QStringLiteral("app");
        hello.libraryVersion = QStringLiteral("0.1.0");
        const QByteArray data = encodeHello(hello).left(keep);
        Hello decoded;
        QString error;
        QVERIFY(!decodeHello(data.constData(), data.size(), &decoded, &error));
        QVERIFY2(error.contains(QLatin1String("malformed hello")), qPrintable(error));
    }

    void goodbyeAndPing()
    {
        QByteArray frame;
        const QByteArray goodbye = encodeControl(ControlKind::Goodbye);
        appendMessageFrame(frame, 0, goodbye.constData(), goodbye.size());
        QCOMPARE(frame.toHex(' '), QByteArray("00 00 00 0d 00 00 00 00 02 00 00 00 00 00 00 00 00"));
        quint64 token = 0;
        const QByteArray ping = encodeControl(ControlKind::Ping, 0x0102030405060708ULL);
        QVERIFY(decodeToken(ping.constData(), ping.size(), &token));
        QCOMPARE(token, 0x0102030405060708ULL);
        QVERIFY(!decodeToken(ping.constData(), 5, &token));
    }

    void preambleBytes()
    {
        QCOMPARE(encodePreamble(Security::Plain).toHex(), QByteArray("0300"));
        QCOMPARE(encodePreamble(Security::NoiseNNpsk0).toHex(), QByteArray("0302"));
        QCOMPARE(encodePreamble(Security::ServerFull).toHex(), QByteArray("03ff"));
    }

    // Names longer than a length byte can say are cut, not wrapped.
    void longNamesAreCut()
    {
        Hello hello;
        hello.processName = QString(300, QLatin1Char('n'));
        const QByteArray data = encodeHello(hello);
        Hello decoded;
        QString error;
        QVERIFY(decodeHello(data.constData(), data.size(), &decoded, &error));
        QCOMPARE(decoded.processName.size(), MaxHelloStringBytes);
    }
};

QTEST_APPLESS_MAIN(TestControl)
#include "tst_control.moc"
