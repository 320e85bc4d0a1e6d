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
        const QByteArray data = encodeHello(hello);
        QByteArray frame;
        appendMessageFrame(frame, 0, data.constData(), data.size());
        QCOMPARE(frame.toHex(' '), QByteArray("00 00 00 1b 00 00 00 00 01 00 30 00 00 00 00 00 00 00 00 04 d2 "
                                              "03 61 70 70 05 30 2e 31 2e 30"));
        Hello decoded;
        QString error;
        QVERIFY(decodeHello(data.constData(), data.size(), &decoded, &error));
        QCOMPARE(decoded.pid, 1234u);
        QCOMPARE(decoded.maxMessageSize, 3145728u);
        QCOMPARE(decoded.processName, QStringLiteral("app"));
        QCOMPARE(decoded.libraryVersion, QStringLiteral("0.1.0"));
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
