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

// A server's and a client's native adapter, encrypted, to feed by hand.
struct EncryptedAdapters
{
    explicit EncryptedAdapters(const QByteArray &psk = {})
        : server(settings(Role::Server, psk))
        , client(settings(Role::Client, psk))
    {
    }
    static protocol::Settings settings(Role role, const QByteArray &psk)
    {
        protocol::Settings settings;
        settings.role = role;
        settings.preSharedKey = psk;
        return settings;
    }
    protocol::NativeAdapter server;
    protocol::NativeAdapter client;
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

    // An encrypted server sends its ephemeral key with the preamble, as the
    // start of its handshake answer's frame (48 bytes: key and tag), so the
    // client makes its key agreement while the server makes its own. The
    // bytes are those of the answer written whole: a client reading them in
    // any pieces, or all at once, ends with the same channel.
    void serverKeyComesWithThePreamble_data()
    {
        QTest::addColumn<QByteArray>("psk");
        QTest::addColumn<int>("firstRead"); // what the client has when it answers
        QTest::addColumn<int>("piece");     // bytes per read after that; 0: the rest at once
        for (const QByteArray &psk : {QByteArray(), QByteArray(32, 'k')}) {
            const char *mode = psk.isEmpty() ? "NN" : "NNpsk0";
            QTest::addRow("%s, preamble alone, then the rest at once", mode) << psk << 2 << 0;
            QTest::addRow("%s, preamble and key together, then the rest", mode) << psk << 38 << 0;
            QTest::addRow("%s, then a byte at a time", mode) << psk << 2 << 1;
            QTest::addRow("%s, then 7 bytes at a time", mode) << psk << 2 << 7;
        }
    }
    void serverKeyComesWithThePreamble()
    {
        QFETCH(QByteArray, psk);
        QFETCH(int, firstRead);
        QFETCH(int, piece);
        EncryptedAdapters adapters(psk);
        protocol::NativeAdapter &server = adapters.server;
        protocol::NativeAdapter &client = adapters.client;
        protocol::Output out;

        QCOMPARE(server.start(out).kind, protocol::Event::Progress);
        QByteArray serverStream = out.contents();
        QCOMPARE(serverStream.size(), 2 + 4 + 32);
        QCOMPARE(serverStream.left(6).toHex(' '), QByteArray(psk.isEmpty() ? "03 01 00 00 00 30" : "03 02 00 00 00 30"));
        out.clear();

        // The client answers the preamble: reply, its first handshake message.
        wire::FrameReader clientIn;
        QCOMPARE(client.start(out).kind, protocol::Event::Progress);
        clientIn.append(serverStream.constData(), firstRead);
        QCOMPARE(client.next(clientIn, out).kind, protocol::Event::Progress);
        QVERIFY(out.flushRequested()); // it leaves before the client's agreement
        // With the key in, the client agrees now; it then waits for the tag.
        QCOMPARE(client.next(clientIn, out).kind, protocol::Event::NeedMore);
        const QByteArray clientAnswer = out.contents();
        out.clear();
        out.clearFlush();

        // The server reads it and finishes its answer: the tag alone (the frame
        // began with the preamble), then its hello.
        wire::FrameReader serverIn;
        serverIn.append(clientAnswer.constData(), clientAnswer.size());
        protocol::Event event;
        do
            event = server.next(serverIn, out);
        while (event.kind == protocol::Event::Progress);
        QCOMPARE(event.kind, protocol::Event::NeedMore);
        serverStream += out.contents();
        out.clear();
        // Read as frames after the preamble: the answer (key, tag), then the hello.
        wire::FrameReader frames;
        frames.append(serverStream.constData() + 2, serverStream.size() - 2);
        char *body = nullptr;
        qsizetype size = 0;
        QCOMPARE(frames.next(&body, &size), wire::FrameReader::Result::Frame);
        QCOMPARE(size, 48);
        QCOMPARE(QByteArray(body, 32), serverStream.mid(6, 32));
        QCOMPARE(frames.next(&body, &size), wire::FrameReader::Result::Frame);

        // The client reads the rest of the server's stream in pieces.
        qsizetype at = firstRead;
        bool established = false;
        while (!established) {
            QVERIFY2(at < serverStream.size(), "the server's stream ended before the client was established");
            const qsizetype n = piece == 0 ? serverStream.size() - at : qMin<qsizetype>(piece, serverStream.size() - at);
            clientIn.append(serverStream.constData() + at, n);
            at += n;
            do {
                event = client.next(clientIn, out);
                QVERIFY2(event.kind != protocol::Event::Failed, qPrintable(event.reason));
                established = event.kind == protocol::Event::Established;
            } while (event.kind == protocol::Event::Progress);
        }
        QCOMPARE(at, serverStream.size());
        // The client's hello reaches the server: both ends hold the same channel.
        serverIn.append(out.data(), out.size());
        out.clear();
        do
            event = server.next(serverIn, out);
        while (event.kind == protocol::Event::Progress);
        QCOMPARE(event.kind, protocol::Event::Established);
        QCOMPARE(client.encryption().handshakeHash.size(), 32);
        QCOMPARE(client.encryption().handshakeHash, server.encryption().handshakeHash);
        QCOMPARE(client.writeMessage(7, "sealed", out).kind, protocol::Adapter::WriteResult::Written);
        client.seal(out);
        serverIn.append(out.data(), out.size());
        out.clear();
        event = server.next(serverIn, out);
        QCOMPARE(event.kind, protocol::Event::Message);
        QCOMPARE(event.data, QByteArray("sealed"));
    }

    // A server key that arrived ahead and was altered on the way: the
    // client's early agreement is wrong, and the answer's tag says so.
    void alteredServerKeyFailsTheHandshake_data()
    {
        QTest::addColumn<int>("flip"); // the key's byte to alter; -1: all zero, a low-order point
        QTest::newRow("bit flipped") << 5;
        QTest::newRow("low-order point") << -1;
    }

    // An answer too short to hold a key and a tag is not read ahead, and
    // fails whole, saying why.
    void shortServerAnswerFailsTheHandshake()
    {
        EncryptedAdapters adapters;
        protocol::NativeAdapter &client = adapters.client;
        protocol::Output out;
        QByteArray greeting = QByteArray::fromHex("0301" "00000028") + QByteArray(32, 'k');
        wire::FrameReader clientIn;
        clientIn.append(greeting.constData(), greeting.size());
        QCOMPARE(client.start(out).kind, protocol::Event::Progress);
        QCOMPARE(client.next(clientIn, out).kind, protocol::Event::Progress);
        QCOMPARE(client.next(clientIn, out).kind, protocol::Event::NeedMore); // 32 of 40: nothing ahead
        const QByteArray rest(8, 't');
        clientIn.append(rest.constData(), rest.size());
        const protocol::Event event = client.next(clientIn, out);
        QCOMPARE(event.kind, protocol::Event::Failed);
        QCOMPARE(event.error, Error::HandshakeFailed);
        QVERIFY2(event.reason.contains(QLatin1String("too short (got 40 bytes, need 48)")), qPrintable(event.reason));
    }
    void alteredServerKeyFailsTheHandshake()
    {
        QFETCH(int, flip);
        EncryptedAdapters adapters;
        protocol::NativeAdapter &server = adapters.server;
        protocol::NativeAdapter &client = adapters.client;
        protocol::Output out;
        QCOMPARE(server.start(out).kind, protocol::Event::Progress);
        QByteArray greeting = out.contents();
        out.clear();
        if (flip >= 0)
            greeting[6 + flip] = char(greeting.at(6 + flip) ^ 0x10);
        else
            greeting.replace(6, 32, QByteArray(32, '\0'));
        wire::FrameReader clientIn;
        clientIn.append(greeting.constData(), greeting.size());
        QCOMPARE(client.next(clientIn, out).kind, protocol::Event::Progress);
        protocol::Event event = client.next(clientIn, out);
        if (flip < 0) { // refused as soon as it arrives
            QCOMPARE(event.kind, protocol::Event::Failed);
            QCOMPARE(event.error, Error::HandshakeFailed);
            QVERIFY2(event.reason.contains(QLatin1String("key agreement failed")), qPrintable(event.reason));
            return;
        }
        QCOMPARE(event.kind, protocol::Event::NeedMore);
        wire::FrameReader serverIn;
        serverIn.append(out.data(), out.size());
        out.clear();
        while (server.next(serverIn, out).kind == protocol::Event::Progress) {
        }
        clientIn.append(out.data(), out.size());
        event = client.next(clientIn, out);
        QCOMPARE(event.kind, protocol::Event::Failed);
        QCOMPARE(event.error, Error::HandshakeFailed);
        QVERIFY2(event.reason.contains(QLatin1String("altered or malformed handshake")), qPrintable(event.reason));
    }
};

QTEST_MAIN(TestSession)
#include "tst_session.moc"
