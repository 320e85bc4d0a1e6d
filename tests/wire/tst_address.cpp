// Address parsing: names, paths, tcp:// forms and clear errors.
#include "address.h"

#include <QtTest>

using ipc::Address;

class TestAddress : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("name") << "echo" << "/tmp/echo.sock";
        QTest::newRow("local: prefix") << "local:echo" << "/tmp/echo.sock";
        QTest::newRow("absolute path") << "/run/user/1/app.sock" << "/run/user/1/app.sock";
        QTest::newRow("tcp v4") << "tcp://127.0.0.1:7000" << "tcp://127.0.0.1:7000";
        QTest::newRow("tcp v6") << "tcp://[::1]:7000" << "tcp://[::1]:7000";
        QTest::newRow("tcp localhost") << "tcp://localhost:80" << "tcp://127.0.0.1:80";
        QTest::newRow("tcp default port") << "tcp://127.0.0.1" << "tcp://127.0.0.1:6969";
        QTest::newRow("tcp default host") << "tcp://:7001" << "tcp://127.0.0.1:7001";
        QTest::newRow("tcp defaults") << "tcp://" << "tcp://127.0.0.1:6969";
        QTest::newRow("tcp host name") << "tcp://build-server:7000" << "tcp://build-server:7000";
        QTest::newRow("tcp name with a trailing dot") << "tcp://db.example.org.:80" << "tcp://db.example.org.:80";
        QTest::newRow("tcp dotted name") << "tcp://db.example.org" << "tcp://db.example.org:6969";
        QTest::newRow("tcp port 0") << "tcp://127.0.0.1:0" << "tcp://127.0.0.1:0";
    }

    void valid()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const Address address = Address::parse(text);
        QVERIFY2(address.isValid(), qPrintable(address.error));
        QCOMPARE(address.toString(), expected);
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << "" << "empty";
        QTest::newRow("blank") << "   " << "empty";
        QTest::newRow("local: empty") << "local:" << "empty";
        QTest::newRow("relative path") << "dir/name" << "must not contain '/'";
        QTest::newRow("too long") << QString(120, QLatin1Char('x')) << "107 bytes";
        QTest::newRow("bad port") << "tcp://127.0.0.1:99999" << "port";
        QTest::newRow("port text") << "tcp://127.0.0.1:http" << "port";
        QTest::newRow("space in host") << "tcp://build server:80" << "neither an IP address nor a host name";
        QTest::newRow("bad IPv4") << "tcp://999.1.1.1:80" << "neither an IP address nor a host name";
        QTest::newRow("bad IPv4, trailing dot") << "tcp://10.0.0.300.:80" << "neither an IP address nor a host name";
        QTest::newRow("leading hyphen") << "tcp://-x:80" << "neither an IP address nor a host name";
        QTest::newRow("empty label") << "tcp://a..b:80" << "neither an IP address nor a host name";
        QTest::newRow("v6 unclosed") << "tcp://[::1:80" << "']'";
        QTest::newRow("scheme") << "udp://127.0.0.1:1" << "unknown scheme";
    }

    void invalid()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        const Address address = Address::parse(text);
        QVERIFY(!address.isValid());
        QVERIFY2(address.error.contains(mentions), qPrintable(address.error));
    }
};

QTEST_APPLESS_MAIN(TestAddress)
#include "tst_address.moc"
