// The engine without sockets: two Sessions over an in-memory device pair,
// every wire, with an observer counting what it is told; and the native
// adapter's bytes against docs/PROTOCOL.md's worked example.
#include "memorypipe.h"

#include "protocol/native.h"
#include "session.h"
#include "session_observer.h"
#include "transport/device_stream.h"

#include <QSignalSpy>
#include <QtEndian>
#include <QtTest>

using namespace ipc;
using protocol::Role;

namespace {

// Writes down every call, one line each, in order.
class RecordingObserver : public SessionObserver
{
public:
    QStringList events;
    quint64 lastId = 0;

    void *connectionOpened(const ConnectionFacts &facts) override
    {
        lastId = facts.id;
        events << QStringLiteral("opened %1").arg(QLatin1String(facts.role == Role::Client ? "client" : "server"));
        return this;
    }
    void connectionEstablished(void *, Protocol, const PeerInfo &peer, const EncryptionInfo &encryption) override
    {
        events << QStringLiteral("established %1 max %2").arg(encryption.protocol).arg(peer.maxMessageSize);
    }
    void messageReceived(void *, qint32 type, const QByteArray &data, const wire::Correlation &) override
    {
        events << QStringLiteral("in %1 %2").arg(type).arg(data.size());
    }
    void messageSent(void *, qint32 type, const QByteArray &data, const wire::Correlation &) override
    {
        events << QStringLiteral("out %1 %2").arg(type).arg(data.size());
    }
    void errorOccurred(void *, Error error, const QString &) override
    {
        events << QStringLiteral("error %1").arg(int(error));
    }
    void connectionFinished(void *, Error error, const QString &) override
    {
        events << QStringLiteral("finished %1").arg(int(error));
    }
    QStringList matching(const QString &prefix) const { return events.filter(QRegularExpression(QLatin1Char('^') + prefix)); }
};

struct Pair
{
    RecordingObserver clientEvents;
    RecordingObserver serverEvents;
    Session *client = nullptr;
    Session *server = nullptr;
    QList<QPair<qint32, QByteArray>> clientGot;
    QList<QPair<qint32, QByteArray>> serverGot;

    Pair(Protocol protocol, bool encryption, const QByteArray &psk, quint32 serverMax = DefaultMaxMessageSize)
    {
        auto [clientEnd, serverEnd] = MemoryEnd::pair();
        Session::Options options;
        // A native client follows the server's first byte to golang-ipc v2.
        options.adapter.protocol = protocol == Protocol::GolangIpcV2 ? Protocol::Native : protocol;
        options.adapter.encryption = encryption;
        options.adapter.preSharedKey = psk;
        options.adapter.role = Role::Client;
        options.observer = &clientEvents;
        options.id = 1;
        client = new Session(new DeviceStream(clientEnd), options);
        options.adapter.role = Role::Server;
        options.adapter.protocol = protocol;
        options.adapter.maxMessageSize = serverMax;
        options.observer = &serverEvents;
        options.id = 2;
        server = new Session(new DeviceStream(serverEnd), options);
        client->onMessage = [this](qint32 type, const QByteArray &data) { clientGot.append({type, data}); };
        server->onMessage = [this](qint32 type, const QByteArray &data) { serverGot.append({type, data}); };
    }
    ~Pair()
    {
        delete client;
        delete server;
    }
    // Starts both ends and waits until both are established.
    bool establish()
    {
        QSignalSpy clientUp(client, &Session::established);
        QSignalSpy serverUp(server, &Session::established);
        server->start();
        client->start();
        return QTest::qWaitFor([&] { return clientUp.count() + serverUp.count() == 2; }, 10000);
    }
    bool send(Session *session, qint32 type, const QByteArray &data)
    {
        return session->send(type, data).ok();
    }
};

} // namespace

class TestSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scriptedExchange_data()
    {
        QTest::addColumn<Protocol>("protocol");
        QTest::addColumn<bool>("encryption");
        QTest::addColumn<QByteArray>("psk");
        QTest::addColumn<QString>("established");
        QTest::newRow("native, Noise") << Protocol::Native << true << QByteArray()
                                       << "established Noise_NN_25519_AESGCM_SHA256";
        QTest::newRow("native, Noise + PSK") << Protocol::Native << true << QByteArray(32, 'k')
                                             << "established Noise_NNpsk0_25519_AESGCM_SHA256";
        QTest::newRow("native, plain") << Protocol::Native << false << QByteArray() << "established none";
        QTest::newRow("line") << Protocol::Line << false << QByteArray() << "established none";
        QTest::newRow("golang-ipc v2, encrypted") << Protocol::GolangIpcV2 << true << QByteArray()
                                                  << "established golang-ipc v2: ECDH P-384 + AES-256-GCM";
        QTest::newRow("golang-ipc v2, plain") << Protocol::GolangIpcV2 << false << QByteArray() << "established none";
    }

    // Client sends three messages (one large enough for the engine's
    // straight-to-buffer path), the server answers one, the client closes:
    // the observers see exactly that, and the messages arrive intact.
    void scriptedExchange()
    {
        QFETCH(Protocol, protocol);
        QFETCH(bool, encryption);
        QFETCH(QByteArray, psk);
        QFETCH(QString, established);
        Pair pair(protocol, encryption, psk);
        QSignalSpy clientDone(pair.client, &Session::finished);
        QSignalSpy serverDone(pair.server, &Session::finished);
        QVERIFY(pair.establish());

        const QByteArray large(100000, 'L');
        QVERIFY(pair.send(pair.client, 1, "a"));
        QVERIFY(pair.send(pair.client, 2, "0123456789"));
        QVERIFY(pair.send(pair.client, 3, large));
        QTRY_COMPARE_WITH_TIMEOUT(pair.serverGot.size(), 3, 10000);
        QVERIFY(pair.send(pair.server, 4, "back"));
        QTRY_COMPARE_WITH_TIMEOUT(pair.clientGot.size(), 1, 10000);
        pair.client->close();
        QTRY_COMPARE_WITH_TIMEOUT(serverDone.count(), 1, 10000);
        QCOMPARE(clientDone.count(), 1);
        QCOMPARE(clientDone.at(0).at(0).value<Error>(), Error::NoError);
        QCOMPARE(serverDone.at(0).at(0).value<Error>(), Error::NoError);

        // The line wire has no types: every line arrives as type 1. A native
        // client learns golang-ipc v2 from the server's first byte.
        const bool typed = protocol != Protocol::Line;
        const auto t = [typed](int type) { return typed ? type : 1; };
        QCOMPARE(pair.serverGot.at(0), qMakePair(t(1), QByteArray("a")));
        QCOMPARE(pair.serverGot.at(1), qMakePair(t(2), QByteArray("0123456789")));
        QCOMPARE(pair.serverGot.at(2), qMakePair(t(3), large));
        QCOMPARE(pair.clientGot.at(0), qMakePair(t(4), QByteArray("back")));

        const QString max = QStringLiteral(" max %1").arg(DefaultMaxMessageSize);
        QCOMPARE(pair.clientEvents.events,
                 QStringList({QStringLiteral("opened client"), established + max, QStringLiteral("out 1 1"),
                              QStringLiteral("out 2 10"), QStringLiteral("out 3 100000"),
                              QStringLiteral("in %1 4").arg(t(4)), QStringLiteral("finished 0")}));
        QCOMPARE(pair.serverEvents.events,
                 QStringList({QStringLiteral("opened server"), established + max,
                              QStringLiteral("in %1 1").arg(t(1)), QStringLiteral("in %1 10").arg(t(2)),
                              QStringLiteral("in %1 100000").arg(t(3)), QStringLiteral("out 4 4"),
                              QStringLiteral("finished 0")}));
    }

    // A write the peer's limit refuses is an observed error; the connection goes on.
    void refusedWriteIsObserved()
    {
        Pair pair(Protocol::Native, true, {}, 2048);
        QVERIFY(pair.establish());
        const Result refused = pair.client->send(1, QByteArray(2049, 'x'));
        QCOMPARE(refused.error, Error::MessageTooLarge);
        QVERIFY2(refused.reason.contains(QLatin1String("2049 bytes exceed")), qPrintable(refused.reason));
        QCOMPARE(pair.clientEvents.matching(QStringLiteral("error ")),
                 QStringList{QStringLiteral("error %1").arg(int(Error::MessageTooLarge))});
        QVERIFY(pair.send(pair.client, 1, QByteArray(2048, 'x')));
        QTRY_COMPARE_WITH_TIMEOUT(pair.serverGot.size(), 1, 10000);
        QVERIFY(pair.client->isEstablished());
    }

    // The line wire refuses a message it cannot carry, and only that message.
    void lineRefusesNewlines()
    {
        Pair pair(Protocol::Line, false, {});
        QVERIFY(pair.establish());
        const Result refused = pair.client->send(1, "two\nlines");
        QVERIFY(!refused.ok());
        QVERIFY2(refused.reason.contains(QLatin1String("newline")), qPrintable(refused.reason));
        QVERIFY(pair.send(pair.client, 1, "one line"));
        QTRY_COMPARE_WITH_TIMEOUT(pair.serverGot.size(), 1, 10000);
        QCOMPARE(pair.serverGot.at(0).second, QByteArray("one line"));
    }

    // The adapter alone, fed bytes by hand, produces the worked example's
    // lines of docs/PROTOCOL.md (plain), apart from the hello's own values.
    void nativeBytesMatchTheWorkedExample()
    {
        protocol::Settings settings;
        settings.encryption = false;
        settings.role = Role::Server;
        protocol::NativeAdapter server(settings);
        settings.role = Role::Client;
        protocol::NativeAdapter client(settings);
        protocol::Output out;
        wire::FrameReader in;

        // Preamble (version 3, plain), then at once the server's hello frame:
        // type 0, kind 1, its limit.
        QCOMPARE(server.start(out).kind, protocol::Event::Progress);
        const QByteArray greeting = out.contents();
        QCOMPARE(greeting.left(2).toHex(' '), QByteArray("03 00"));
        QCOMPARE(qFromBigEndian<quint32>(greeting.constData() + 2), quint32(greeting.size() - 6));
        QCOMPARE(greeting.mid(6, 4).toHex(' '), QByteArray("00 00 00 00"));
        QCOMPARE(greeting.mid(10, 5).toHex(' '), QByteArray("01 00 30 00 00"));
        in.append(out.data(), out.size());
        out.clear();
        QCOMPARE(client.start(out).kind, protocol::Event::Progress);
        QCOMPARE(client.next(in, out).kind, protocol::Event::Progress);
        // Reply ok, then the client's hello frame: type 0, kind 1, its limit.
        const QByteArray replyAndHello = out.contents();
        QCOMPARE(replyAndHello.left(1).toHex(), QByteArray("00"));
        QCOMPARE(replyAndHello.mid(5, 4).toHex(' '), QByteArray("00 00 00 00"));
        QCOMPARE(replyAndHello.mid(9, 5).toHex(' '), QByteArray("01 00 30 00 00"));
        QCOMPARE(qFromBigEndian<quint32>(replyAndHello.constData() + 1), quint32(replyAndHello.size() - 5));

        // The client, in the same read, has the server's hello: established.
        out.clear();
        QCOMPARE(client.next(in, out).kind, protocol::Event::Established);
        QVERIFY(out.contents().isEmpty());

        // The server reads reply and hello, writes nothing more, is established.
        wire::FrameReader serverIn;
        serverIn.append(replyAndHello.constData(), replyAndHello.size());
        QCOMPARE(server.next(serverIn, out).kind, protocol::Event::Progress);
        QCOMPARE(server.next(serverIn, out).kind, protocol::Event::Established);
        QVERIFY(out.contents().isEmpty());

        QCOMPARE(client.writeMessage(7, "hi", out).kind, protocol::Adapter::WriteResult::Written);
        QCOMPARE(out.contents().toHex(' '), QByteArray("00 00 00 06 00 00 00 07 68 69"));
        out.clear();
        client.writeControl(out, protocol::Control::goodbye());
        QCOMPARE(out.contents().toHex(' '), QByteArray("00 00 00 0d 00 00 00 00 02 00 00 00 00 00 00 00 00"));
    }
};

QTEST_MAIN(TestSession)
#include "tst_session.moc"
