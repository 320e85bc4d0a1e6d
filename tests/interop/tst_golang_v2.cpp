// golang-ipc protocol version 2 against an independent peer written in
// Python from the wire description (tests/helpers/golang_v2_peer.py): a Qt
// server with that peer as client, and that peer as server with a Qt client.
#include "echo.h"
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QtTest>

using namespace std::chrono_literals;
using namespace ipc;

namespace {

const QString peerScript = QStringLiteral(IPC_TEST_DATA_DIR "/../helpers/golang_v2_peer.py");

// Debian's python3 (scripts/setup.sh installs python3-cryptography for it).
QString python()
{
    static const QString found = [] {
        for (const QString &candidate : {QStringLiteral("/usr/bin/python3"),
                                         QStandardPaths::findExecutable(QStringLiteral("python3"))}) {
            if (candidate.isEmpty() || !QFileInfo::exists(candidate))
                continue;
            QProcess probe;
            probe.start(candidate, {QStringLiteral("-c"), QStringLiteral("import cryptography")});
            if (probe.waitForFinished(30000) && probe.exitCode() == 0)
                return candidate;
        }
        return QString();
    }();
    return found;
}

ServerConfig v2Server(bool encryption)
{
    ServerConfig config;
    config.protocol = Protocol::GolangIpcV2;
    config.encryption = encryption;
    return config;
}

// Runs the peer as a client to completion; returns its standard output.
QByteArray runClient(const QString &name, const QStringList &arguments, int *exitCode)
{
    QProcess peer;
    peer.start(python(), QStringList{peerScript, QStringLiteral("client"), socketPathFor(name)} + arguments);
    if (!peer.waitForStarted(10000))
        return "did not start";
    // The Qt server in this process must keep running while the peer talks.
    const bool done = QTest::qWaitFor([&] { return peer.state() == QProcess::NotRunning; }, 60000);
    *exitCode = done ? peer.exitCode() : -1;
    return peer.readAllStandardOutput() + peer.readAllStandardError();
}

// Starts the peer as a server and waits until it listens.
bool startServer(QProcess &peer, const QString &name, const QStringList &arguments)
{
    peer.start(python(), QStringList{peerScript, QStringLiteral("server"), socketPathFor(name)} + arguments);
    return peer.waitForStarted(10000)
        && QTest::qWaitFor([&] { return peer.canReadLine() || peer.state() != QProcess::Running; }, 30000)
        && peer.readLine().trimmed() == "listening";
}

void encryptionRows()
{
    QTest::addColumn<bool>("encrypted");
    QTest::newRow("encrypted") << true;
    QTest::newRow("plain") << false;
}

} // namespace

class TestGolangV2 : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (python().isEmpty())
            QSKIP("python3 with the cryptography module is not installed (scripts/setup.sh installs it)");
    }

    void qtServerPeerClient_data() { encryptionRows(); }

    // Several messages, types > 0, binary data, echoed by the Qt server.
    void qtServerPeerClient()
    {
        QFETCH(bool, encrypted);
        const QString name = uniqueName("v2server");
        Server server(name, v2Server(encrypted));
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        EncryptionInfo seen;
        connect(&server, &Server::clientConnected, &server,
                [&](quint64 id) { seen = server.clientInfo(id).encryption; });
        QSignalSpy got(&server, &Server::messageReceived);
        int exitCode = 0;
        QStringList arguments{QStringLiteral("1:hello"), QStringLiteral("7:hex:00ff100080"),
                              QStringLiteral("42:hex:") + QByteArray(6000, '\x5a').toHex(),
                              QStringLiteral("43:hex:") + QByteArray(9000, '\x5b').toHex(),
                              QStringLiteral("2147483647:last")};
        if (!encrypted)
            arguments.prepend(QStringLiteral("--plain"));
        const QByteArray out = runClient(name, arguments, &exitCode);
        QVERIFY2(exitCode == 0, out.constData());
        QCOMPARE(got.count(), 5);
        QCOMPARE(got.at(1).at(0).value<Message>().data, QByteArray::fromHex("00ff100080"));
        QCOMPARE(got.at(2).at(0).value<Message>().data, QByteArray(6000, '\x5a'));
        QCOMPARE(got.at(3).at(0).value<Message>().data, QByteArray(9000, '\x5b'));
        QCOMPARE(got.at(4).at(0).value<Message>().type, 2147483647);
        QVERIFY2(out.contains("max 3145728"), out.constData());
        QCOMPARE(seen.isEncrypted(), encrypted);
        QCOMPARE(seen.isWeak(), encrypted);
        if (encrypted) {
            QCOMPARE(seen.level, SecurityLevel::Weak);
            QCOMPARE(seen.protocol, QStringLiteral("golang-ipc v2: ECDH P-384 + AES-256-GCM"));
            QVERIFY(!seen.preSharedKeyAuthenticated);
        }
    }

    void peerServerQtClient_data() { encryptionRows(); }

    // The Qt client needs no setting: it reads the first byte and speaks v2.
    // A message written before the server exists is queued and delivered.
    void peerServerQtClient()
    {
        QFETCH(bool, encrypted);
        const QString name = uniqueName("v2client");
        ClientConfig config;
        config.encryptionRequired = encrypted;
        Client client(name, config);
        QSignalSpy received(&client, &Client::messageReceived);
        QVERIFY(client.write(3, "queued before the server"));
        QProcess peer;
        QStringList arguments{QStringLiteral("--max"), QStringLiteral("50000")};
        if (!encrypted)
            arguments << QStringLiteral("--plain");
        QVERIFY(startServer(peer, name, arguments));
        QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
        QCOMPARE(client.serverInfo().maxMessageSize, 50000u);
        QCOMPARE(client.encryption().isWeak(), encrypted);
        QVERIFY(client.write(9, QByteArray::fromHex("000102fffe")));
        QVERIFY(client.write(11, QByteArray(40000, 'q'))); // large: its own buffer both ways
        QVERIFY(client.write(12, QByteArray(30000, 'r')));
        QVERIFY(!client.write(13, QByteArray(50001, 'x'))); // over the server's announced maximum
        QCOMPARE(client.error(), Error::MessageTooLarge);
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 4, 30000);
        QCOMPARE(received.at(0).at(0).value<Message>().data, QByteArray("queued before the server"));
        QCOMPARE(received.at(1).at(0).value<Message>().type, 9);
        QCOMPARE(received.at(1).at(0).value<Message>().data, QByteArray::fromHex("000102fffe"));
        QCOMPARE(received.at(2).at(0).value<Message>().data, QByteArray(40000, 'q'));
        QCOMPARE(received.at(3).at(0).value<Message>().data, QByteArray(30000, 'r'));
        client.close();
        QTRY_VERIFY_WITH_TIMEOUT(peer.state() == QProcess::NotRunning, 30000);
        QCOMPARE(peer.exitCode(), 0);
    }

    // The server goes away and another starts: the client reconnects by
    // itself and what was written meanwhile is delivered, in order.
    void clientReconnectsToANewServer()
    {
        const QString name = uniqueName("v2again");
        QProcess first;
        QVERIFY(startServer(first, name, {}));
        Client client(name);
        QSignalSpy received(&client, &Client::messageReceived);
        QVERIFY(client.waitForConnected(30s));
        QVERIFY(client.write(1, "one"));
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 30000);
        first.kill(); // the process this test started
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Reconnecting, 30000);
        QVERIFY(client.write(2, "two"));
        QVERIFY(client.write(3, "three"));
        QProcess second;
        QVERIFY(startServer(second, name, {}));
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 3, 30000);
        QCOMPARE(received.at(1).at(0).value<Message>().data, QByteArray("two"));
        QCOMPARE(received.at(2).at(0).value<Message>().data, QByteArray("three"));
        QCOMPARE(client.status(), Status::Connected);
        client.close();
        second.kill(); // the process this test started
        second.waitForFinished(10000);
    }

    // About one handshake in 256 has a shared X starting with a zero byte;
    // the peer picks its key pairs until it has one.
    void leadingZeroOfSharedX()
    {
        const QString name = uniqueName("v2zero");
        Server server(name, v2Server(true));
        echoEverything(server);
        QVERIFY(server.listen());
        int exitCode = 0;
        const QByteArray out = runClient(name, {QStringLiteral("--leading-zero"), QStringLiteral("5:zero")}, &exitCode);
        QVERIFY2(exitCode == 0 && out.contains("leading-zero"), out.constData());
    }

    // The same with the Qt side as the client: the peer cannot pick its key
    // after ours (the server speaks first), so handshakes repeat until one
    // has a shared X that starts with a zero byte (1 in 256 on average).
    void leadingZeroAsClient()
    {
        const QString name = uniqueName("v2zeroclient");
        QProcess peer;
        QVERIFY(startServer(peer, name, {QStringLiteral("--clients"), QStringLiteral("5000")}));
        QByteArray seen;
        int handshakes = 0;
        while (!seen.contains("leading-zero") && handshakes < 5000) {
            ClientConfig config;
            config.maxAttempts = 1;
            Client client(name, config);
            QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
            QVERIFY(client.write(4, "zero?"));
            const Message echo = client.waitForMessage(30s); // the key works either way
            QCOMPARE(echo.data, QByteArray("zero?"));
            client.close();
            ++handshakes;
            QVERIFY(QTest::qWaitFor([&] { return peer.canReadLine() || peer.state() != QProcess::Running; }, 30000));
            while (peer.canReadLine())
                seen += peer.readLine();
        }
        QVERIFY2(seen.contains("leading-zero"), qPrintable(QStringLiteral("none in %1 handshakes").arg(handshakes)));
        qInfo("a shared X with a leading zero byte after %d handshakes", handshakes);
        peer.kill();
        peer.waitForFinished(10000);
    }

    // golang-ipc depends on one read per handshake record; libipc must not.
    void handshakeRecordSplitAcrossWrites()
    {
        const QString name = uniqueName("v2split");
        Server server(name, v2Server(true));
        echoEverything(server);
        QVERIFY(server.listen());
        int exitCode = 0;
        const QByteArray out = runClient(name, {QStringLiteral("--split"), QStringLiteral("5:split")}, &exitCode);
        QVERIFY2(exitCode == 0, out.constData());
    }

    void hostilePeers_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("error");
        QTest::addColumn<QString>("cause");
        QTest::newRow("length 0xFFFFFFFF") << QStringList{QStringLiteral("--raw-frame"), QStringLiteral("ffffffff")}
                                           << int(Error::MessageTooLarge) << "exceeds the limit";
        QTest::newRow("one byte over the limit")
            << QStringList{QStringLiteral("--raw-frame"), QStringLiteral("00300021")} // 3145728 + 4 + 28 + 1
            << int(Error::MessageTooLarge) << "exceeds the limit";
        QTest::newRow("short frame") << QStringList{QStringLiteral("--raw-frame"), QStringLiteral("00000002aabb")}
                                     << int(Error::ProtocolError) << "cannot hold";
        QTest::newRow("key off the curve") << QStringList{QStringLiteral("--bad-key")}
                                           << int(Error::HandshakeFailed) << "not a point on P-384";
        QTest::newRow("record that fails to open")
            << QStringList{QStringLiteral("--raw-frame"), QStringLiteral("00000028") + QByteArray(40, '\x5c').toHex()}
            << int(Error::DecryptionFailed) << "failed to open";
    }

    // A hostile or broken peer gets a clear error for its connection only;
    // a second client on the same server is served before and after.
    void hostilePeers()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, error);
        QFETCH(QString, cause);
        const QString name = uniqueName("v2hostile");
        Server server(name, v2Server(true));
        echoEverything(server);
        QVERIFY(server.listen());
        Client good(name);
        QVERIFY(good.waitForConnected(30s));
        QSignalSpy errors(&server, &Server::clientErrorOccurred);
        int exitCode = 0;
        const QByteArray out = runClient(name, arguments + QStringList{QStringLiteral("--expect-close")}, &exitCode);
        QVERIFY2(exitCode == 0 && out.contains("closed"), out.constData());
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 30000);
        QCOMPARE(errors.at(0).at(1).value<Error>(), Error(error));
        QVERIFY2(errors.at(0).at(2).toString().contains(cause), qPrintable(errors.at(0).at(2).toString()));
        QVERIFY(good.isConnected());
        QVERIFY(good.write(1, "still served"));
        QCOMPARE(good.waitForMessage(30s).data, QByteArray("still served"));
    }

    // Type 0 is reserved for control messages: a v2 receiver drops it.
    void typeZeroDropped()
    {
        const QString name = uniqueName("v2zero");
        Server server(name, v2Server(true));
        echoEverything(server);
        QVERIFY(server.listen());
        QSignalSpy got(&server, &Server::messageReceived);
        int exitCode = 0;
        const QByteArray out = runClient(name, {QStringLiteral("0:dropped"), QStringLiteral("6:kept")}, &exitCode);
        QVERIFY2(exitCode == 0, out.constData());
        QCOMPARE(got.count(), 1);
        QCOMPARE(got.at(0).at(0).value<Message>().type, 6);
    }

    // A plain v2 server and a client that requires encryption: reply code 2
    // on the wire and EncryptionRequired on the client.
    void plainServerRefused()
    {
        const QString name = uniqueName("v2plain");
        QProcess peer;
        QVERIFY(startServer(peer, name, {QStringLiteral("--plain")}));
        Client client(name); // encryption required by default
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Error, 30000);
        QCOMPARE(client.error(), Error::EncryptionRequired);
        QVERIFY2(client.errorString().contains(QLatin1String("golang-ipc v2 server offers no encryption")),
                 qPrintable(client.errorString()));
        QTRY_VERIFY_WITH_TIMEOUT(peer.state() == QProcess::NotRunning, 30000);
        const QByteArray out = peer.readAllStandardOutput() + peer.readAllStandardError();
        QVERIFY2(out.contains("reply 2"), out.constData());
    }
};

QTEST_MAIN(TestGolangV2)
#include "tst_golang_v2.moc"
