// Hostile or broken peers: each case must close only that connection with
// an error naming the cause, deliver nothing bad, and leave the server
// serving its other clients.
#include "echo.h"
#include "peerprocess.h"
#include "rawpeer.h"
#include "testnames.h"
#include "wire/control.h"

#include "transport/capabilities.h"
#include <ipc/client.h>
#include <ipc/server.h>

#include <QDir>
#include <QLocalServer>
#include <QSignalSpy>
#include <QTimer>
#include <QtEndian>
#include <QtTest>

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

using namespace std::chrono_literals;
using ipc::Error;
using ipc::Message;

namespace {

// A hand-driven server: greets each connection with the given bytes and
// keeps the last one accepted, for the test to read and answer.
struct FakeServer
{
    FakeServer(const char *tag, const QByteArray &greeting)
        : path(socketPathFor(uniqueName(tag)))
    {
        listening = server.listen(path);
        QObject::connect(&server, &QLocalServer::newConnection, &server, [this, greeting] {
            accepted = server.nextPendingConnection();
            accepted->write(greeting);
        });
    }

    const QString path;
    QLocalServer server;
    QLocalSocket *accepted = nullptr;
    bool listening = false;
};

// A well-behaved client that keeps exchanging messages with the server for
// the whole test: one every few milliseconds, each echoed back, in order.
struct GoodClient
{
    GoodClient(const QString &name, bool encrypted, const QByteArray &key)
        : client(name, configFor(encrypted, key))
        , errors(&client, &ipc::Client::errorOccurred)
    {
        QObject::connect(&client, &ipc::Client::messageReceived, &client, [this](const Message &m) {
            inOrder = inOrder && m.data == QByteArray::number(echoed + 1);
            ++echoed;
        });
        QObject::connect(&ticker, &QTimer::timeout, &client, [this] {
            if (client.write(9, QByteArray::number(sent + 1)))
                ++sent;
        });
    }
    static ipc::ClientConfig configFor(bool encrypted, const QByteArray &key)
    {
        ipc::ClientConfig config;
        config.encryptionRequired = encrypted;
        config.preSharedKey = key;
        return config;
    }
    bool start()
    {
        if (!client.waitForConnected(10s))
            return false;
        ticker.start(5);
        return true;
    }
    // Still connected, never in error, and exchanging: more echoes arrive.
    bool keepsExchanging()
    {
        const int before = echoed;
        return QTest::qWaitFor([&] { return echoed >= before + 5; }, 20000)
            && client.status() == ipc::Status::Connected && errors.isEmpty() && inOrder;
    }

    ipc::Client client;
    QSignalSpy errors;
    QTimer ticker;
    int sent = 0;
    int echoed = 0;
    bool inOrder = true;
};

// A server under attack, with a good client exchanging messages alongside,
// so each test can show the others are still served.
struct Fixture
{
    explicit Fixture(bool encrypted, ipc::ServerConfig config = {})
        : name(uniqueName("attack"))
    {
        config.encryption = encrypted;
        server = std::make_unique<ipc::Server>(name, config);
        echoEverything(*server);
        if (!server->listen())
            return;
        good = std::make_unique<GoodClient>(name, encrypted, config.preSharedKey);
        if (!good->start())
            return;
        if (!QTest::qWaitFor([&] { return server->clientCount() == 1; }, 10000))
            return;
        goodId = server->clientIds().value(0);
        errors = std::make_unique<QSignalSpy>(server.get(), &ipc::Server::clientErrorOccurred);
        QObject::connect(
            server.get(), &ipc::Server::messageReceived, server.get(), [this](const Message &m) {
                if (m.clientId != goodId)
                    ++attackerMessages;
            });
        ready = goodId != 0;
    }

    // Quiet at the end: the good client's last echo confirmed, so the server
    // has nothing unconfirmed to warn about.
    ~Fixture()
    {
        if (!good)
            return;
        good->ticker.stop();
        (void)QTest::qWaitFor(
            [&] {
                return good->echoed == good->sent && server->unconfirmedMessageCount(goodId) == 0;
            },
            10000);
    }

    // The client that was exchanging all along still is, and a new one is served.
    bool goodClientStillServed()
    {
        if (!good->keepsExchanging())
            return false;
        ipc::Client client(name,
            GoodClient::configFor(server->config().encryption, server->config().preSharedKey));
        if (!client.waitForConnected(10s))
            return false;
        client.write(9, "still here");
        const Message reply = client.waitForMessage(10s);
        return reply.type == 9 && reply.data == "still here";
    }

    quint64 attackerId() const
    {
        for (const quint64 id : server->clientIds())
            if (id != goodId)
                return id;
        return 0;
    }
    Error lastError() const
    {
        return errors->isEmpty() ? Error::NoError : errors->last().at(1).value<Error>();
    }
    QString lastReason() const
    {
        return errors->isEmpty() ? QString() : errors->last().at(2).toString();
    }
    // The attacker's errors only: the good client must have none.
    bool goodClientHasNoError() const
    {
        for (const QList<QVariant> &e : *errors)
            if (e.at(0).toULongLong() == goodId)
                return false;
        return true;
    }

    QString name;
    std::unique_ptr<ipc::Server> server;
    std::unique_ptr<GoodClient> good;
    quint64 goodId = 0;
    std::unique_ptr<QSignalSpy> errors;
    int attackerMessages = 0;
    bool ready = false;
};

// A memory file holding content, sealed as libipc requires or not.
int memoryFile(const QByteArray &content, bool sealed)
{
    const int fd = ::memfd_create("rawpeer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ::write(fd, content.constData(), size_t(content.size())) != content.size()
        || (sealed && ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0))
        return -1;
    return fd;
}

QByteArray lengthOnly(quint32 length)
{
    QByteArray header(4, Qt::Uninitialized);
    qToBigEndian<quint32>(length, header.data());
    return header;
}

int openFileDescriptors()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                   .entryList(QDir::NoDotAndDotDot | QDir::System)
                   .size());
}

} // namespace

class TestAttacks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The limit is the maximum message size + 4 (type), + 16 (tag) encrypted.
    void oversizedFrameRejectedBeforeAllocation_data()
    {
        QTest::addColumn<bool>("encrypted");
        QTest::addColumn<quint32>("length");
        QTest::addColumn<QString>("reason");
        QTest::newRow("plain, 0xFFFFFFFF")
            << false << 0xFFFFFFFFu << "4294967295 bytes exceeds the limit of 2052 bytes";
        QTest::newRow("plain, 2 GiB")
            << false << 0x7FFFFFFFu << "2147483647 bytes exceeds the limit of 2052 bytes";
        QTest::newRow("plain, one byte over")
            << false << 2053u << "2053 bytes exceeds the limit of 2052 bytes";
        QTest::newRow("encrypted, 0xFFFFFFFF")
            << true << 0xFFFFFFFFu << "4294967295 bytes exceeds the limit of 2068 bytes";
        QTest::newRow("encrypted, one byte over")
            << true << 2069u << "2069 bytes exceeds the limit of 2068 bytes";
    }

    // Malformed remote-object messages from a hand-driven peer: each call
    // gets an error reply naming the cause, each one-way message is reported
    // for that peer alone; its connection goes on, and a good replica of the
    // same object keeps working.
    void malformedObjectMessages()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        QTimer timer; // any QObject: its properties, slots and signals travel
        timer.setInterval(250);
        QVERIFY(f.server->exposeObject(&timer, QStringLiteral("timer")));
        ipc::ClientConfig config;
        config.encryptionRequired = false;
        ipc::Client good(f.name, config);
        std::unique_ptr<ipc::DynamicReplica> replica(good.acquireDynamic(QStringLiteral("timer")));
        QVERIFY2(replica->waitForValid(10s), qPrintable(replica->errorString()));

        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(false), qPrintable(raw.errorString));
        const auto objectTag = [](quint64 id) {
            return RawPeer::plainFrame(0, ipc::wire::encodeCorrelation(
                                              ipc::wire::Correlation{ipc::wire::Correlation::Object, 0, id}));
        };
        // Calls: not CBOR; a handle that was never given; an unknown name.
        raw.send(objectTag(5) + RawPeer::plainFrame(4, QByteArray("\xff\xff", 2)));
        raw.send(objectTag(6) + RawPeer::plainFrame(4, QByteArray::fromHex("831a7fffffff1a0000fff080")));
        raw.send(objectTag(7) + RawPeer::plainFrame(1, QByteArray::fromHex("a1646e616d6563626f6f")));
        // One-way: an emission sent to a source, garbage for a release.
        raw.send(objectTag(0) + RawPeer::plainFrame(3, QByteArray::fromHex("80")));
        raw.send(objectTag(0) + RawPeer::plainFrame(2, QByteArray("nonsense")));
        QMap<quint64, QString> answers;
        while (answers.size() < 3) {
            const QByteArray tag = raw.readFrame();
            QVERIFY2(!tag.isEmpty(), "the server should answer each call");
            const QByteArray message = raw.readFrame();
            QVERIFY(!message.isEmpty());
            QCOMPARE(qFromBigEndian<qint32>(tag.constData()), 0);
            QCOMPARE(int(quint8(tag.at(4))), int(ipc::wire::ControlKind::ErrorReply));
            answers.insert(qFromBigEndian<quint64>(tag.constData() + 5), QString::fromUtf8(message.mid(4)));
        }
        QVERIFY2(answers.value(5).contains(QStringLiteral("malformed CBOR")), qPrintable(answers.value(5)));
        QVERIFY2(answers.value(6).contains(QStringLiteral("withdrawn (handle 2147483647)")),
                 qPrintable(answers.value(6)));
        QVERIFY2(answers.value(7).contains(QStringLiteral("no object is exposed as \"boo\"")),
                 qPrintable(answers.value(7)));
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 2, 10000);
        QCOMPARE(f.errors->at(0).at(1).value<Error>(), Error::ProtocolError);
        QVERIFY(raw.isConnected());
        QCOMPARE(f.attackerMessages, 0); // nothing of it reached the application

        // The good replica's calls still run on the timer.
        QFuture<QVariant> started = replica->call(QStringLiteral("start"), {1000});
        QTRY_VERIFY_WITH_TIMEOUT(started.isFinished(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(timer.isActive(), 10000);
        QCOMPARE(timer.interval(), 1000);
        QVERIFY(f.goodClientStillServed());
    }

    void oversizedFrameRejectedBeforeAllocation()
    {
        QFETCH(bool, encrypted);
        QFETCH(quint32, length);
        QFETCH(QString, reason);
        ipc::ServerConfig config;
        config.maxMessageSize = 2048;
        Fixture f(encrypted, config);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(encrypted), qPrintable(raw.errorString));
        raw.send(lengthOnly(length)); // no body follows: nothing may wait for it
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::MessageTooLarge);
        QVERIFY2(f.lastReason().contains(reason), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
    }

    // Shared-memory messages (kind 10, a memory file with the frame's bytes)
    // from a peer that may lie: only a sealed file of exactly the announced
    // size, within the limit, on a connection that agreed to them, is taken.
    void sharedMemoryMessages_data()
    {
        QTest::addColumn<bool>("agreed");
        QTest::addColumn<int>("file"); // 0 none, 1 sealed, 2 unsealed
        QTest::addColumn<qint64>("announced");
        QTest::addColumn<int>("expected"); // ipc::Error; NoError: delivered
        QTest::addColumn<QString>("reason");
        const qint64 size = 100000;
        QTest::newRow("sealed, as announced")
            << true << 1 << size << int(Error::NoError) << QString();
        QTest::newRow("no descriptor") << true << 0 << size << int(Error::ProtocolError)
                                       << QStringLiteral("without its file descriptor");
        QTest::newRow("not sealed")
            << true << 2 << size << int(Error::ProtocolError) << QStringLiteral("not sealed");
        QTest::newRow("other size") << true << 1 << 2 * size << int(Error::ProtocolError)
                                    << QStringLiteral("not sealed or not 200000 bytes");
        QTest::newRow("over the limit")
            << true << 1 << (qint64(1) << 32) << int(Error::MessageTooLarge)
            << QStringLiteral("exceeds the limit");
        QTest::newRow("not agreed")
            << false << 1 << size << int(Error::ProtocolError)
            << QStringLiteral("unexpected or malformed shared-memory message");
    }

    void sharedMemoryMessages()
    {
        if (!ipc::transport::hasMemoryFiles())
            QSKIP("memory files travel only on Linux's own transport");
        QFETCH(bool, agreed);
        QFETCH(int, file);
        QFETCH(qint64, announced);
        QFETCH(int, expected);
        QFETCH(QString, reason);
        Fixture f(false);
        QVERIFY(f.ready);
        QByteArray arrived;
        QObject::connect(
            f.server.get(), &ipc::Server::messageReceived, f.server.get(), [&](const Message &m) {
                if (m.clientId != f.goodId)
                    arrived = m.data;
            });
        RawPeer raw(socketPathFor(f.name));
        raw.hello = agreed ? RawPeer::sharedMemoryHelloData() : RawPeer::helloData();
        QVERIFY(raw.handshake(false));
        QByteArray content(100000, Qt::Uninitialized);
        for (qsizetype i = 0; i < content.size(); ++i)
            content[i] = char(i % 251);
        const QByteArray frames = RawPeer::plainFrame(0,
                                      ipc::wire::encodeControl(
                                          ipc::wire::ControlKind::SharedMemory, quint64(announced)))
            + RawPeer::plainFrame(5, QByteArray());
        if (file == 0) {
            raw.send(frames);
        } else {
            const int fd = memoryFile(content, file == 1);
            QVERIFY(fd >= 0);
            QVERIFY(raw.sendWithDescriptor(frames, fd));
            ::close(fd);
        }
        if (expected == int(Error::NoError)) {
            QTRY_COMPARE_WITH_TIMEOUT(arrived.size(), content.size(), 10000);
            QVERIFY(arrived == content);
            QCOMPARE(f.errors->count(), 0);
        } else {
            QVERIFY(raw.waitForDisconnected());
            QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
            QCOMPARE(int(f.lastError()), expected);
            QVERIFY2(f.lastReason().contains(reason), qPrintable(f.lastReason()));
        }
        QVERIFY(f.goodClientStillServed());
    }

    // Descriptors passed with frames that use none pile up nowhere: past a
    // small number the connection ends, and all of them are closed.
    void descriptorsWithoutMessages()
    {
        if (!ipc::transport::hasMemoryFiles())
            QSKIP("descriptors travel only on Linux's own transport");
        Fixture f(false);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        raw.hello = RawPeer::sharedMemoryHelloData();
        QVERIFY(raw.handshake(false));
        const int fd = memoryFile(QByteArray("x"), true);
        const QByteArray ping
            = RawPeer::plainFrame(0, ipc::wire::encodeControl(ipc::wire::ControlKind::Ping, 1));
        for (int i = 0; i < 100 && raw.isConnected(); ++i)
            raw.sendWithDescriptor(ping, fd);
        ::close(fd);
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QVERIFY(
            f.lastReason().contains(QLatin1String("more file descriptors than its messages use")));
        QVERIFY(f.goodClientStillServed());
    }

    // A peer that never offered memory files (an older libipc, another
    // language) gets a very large encrypted message on the stream.
    void veryLargeMessageToAPeerWithoutMemoryFiles()
    {
        Fixture f(true, [] {
            ipc::ServerConfig config;
            config.maxMessageSize = 16 << 20;
            return config;
        }());
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        raw.hello = RawPeer::helloData(16 << 20);
        QVERIFY(raw.handshake(true));
        QTRY_VERIFY_WITH_TIMEOUT(f.attackerId() != 0, 10000);
        const QByteArray data(5 << 20, 'v');
        QVERIFY(f.server->write(f.attackerId(), 3, data));
        qint32 type = 0;
        QByteArray got;
        QVERIFY(raw.openFrame(raw.readFrame(), &type, &got));
        QCOMPARE(type, 3);
        QVERIFY(got == data);
        QVERIFY(f.goodClientStillServed());
    }

    void malformedFrameTooShortForType()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        raw.send(lengthOnly(2) + QByteArray("ab"));
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QVERIFY(f.lastReason().contains(QLatin1String("cannot hold a message type")));
        QVERIFY(f.goodClientStillServed());
    }

    void messageBeforeHelloRefused()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.readPreambleAndAccept());
        raw.send(RawPeer::plainFrame(1, "sneaky"));
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    void truncatedFrameAtEof()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        raw.send(RawPeer::plainFrame(1, QByteArray(100, 'x')).left(50));
        raw.socket.disconnectFromServer();
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QVERIFY2(f.lastReason().contains(QLatin1String("closed inside a frame (46 of 104 bytes)")),
            qPrintable(f.lastReason()));
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    // A large plain body is read straight into its own buffer; cut short, it
    // is still reported as a truncated frame and delivers nothing.
    void truncatedLargeFrameAtEof()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        raw.send(RawPeer::plainFrame(1, QByteArray(100000, 'x')).left(60000));
        raw.socket.disconnectFromServer();
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QVERIFY2(
            f.lastReason().contains(QLatin1String("closed inside a frame (59996 of 100004 bytes)")),
            qPrintable(f.lastReason()));
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    // A peer that begins a message and stalls, or trickles it, is dropped
    // after messageReadTimeout with what it had reserved; the good client
    // is served throughout.
    void stalledMessageIsDropped_data()
    {
        QTest::addColumn<int>("size");
        QTest::addColumn<bool>("trickle");
        QTest::newRow("small, stalled") << 100 << false;
        QTest::newRow("large body, stalled") << 2000000 << false;
        QTest::newRow("large body, trickled") << 2000000 << true;
    }

    void stalledMessageIsDropped()
    {
        QFETCH(int, size);
        QFETCH(bool, trickle);
        ipc::ServerConfig config;
        config.messageReadTimeout = 1500ms;
        Fixture f(false, config);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        const QByteArray frame = RawPeer::plainFrame(1, QByteArray(size, 'x'));
        raw.send(frame.left(frame.size() / 2));
        QTimer drip; // a byte every 100 ms: progress, but never the end
        qsizetype sent = frame.size() / 2;
        connect(&drip, &QTimer::timeout, this, [&] {
            if (raw.isConnected() && sent < frame.size() - 1)
                raw.send(frame.mid(sent++, 1));
        });
        if (trickle)
            drip.start(100);
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 60000);
        QCOMPARE(f.lastError(), Error::Timeout);
        QVERIFY2(f.lastReason().contains(QLatin1String("has not finished it")),
            qPrintable(f.lastReason()));
        QVERIFY(raw.waitForDisconnected());
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    // A steady stream whose every read ends inside a message, for longer
    // than messageReadTimeout in all: each message finishes in time, so the
    // connection stays.
    void streamEndingInsideMessagesIsNoStall()
    {
        ipc::ServerConfig config;
        config.messageReadTimeout = 2000ms;
        Fixture f(false, config);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        constexpr int count = 40; // one every 100 ms: twice the timeout in all
        const QByteArray frame = RawPeer::plainFrame(1, QByteArray(1000, 'y'));
        QByteArray stream;
        for (int i = 0; i < count; ++i)
            stream += frame;
        qsizetype sent = 0;
        QTimer pace;
        connect(&pace, &QTimer::timeout, this, [&] {
            // Up to the middle of the next frame: the read ends inside it.
            const qsizetype end
                = qMin(stream.size(), (sent / frame.size() + 1) * frame.size() + frame.size() / 2);
            raw.send(stream.mid(sent, end - sent));
            sent = end;
            if (sent == stream.size())
                pace.stop();
        });
        pace.start(100);
        QTRY_COMPARE_WITH_TIMEOUT(f.attackerMessages, count, 60000);
        QCOMPARE(f.errors->count(), 0);
        QVERIFY(raw.isConnected());
    }

    void flippedBitInRecord()
    {
        Fixture f(true);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(true), qPrintable(raw.errorString));
        QByteArray record = raw.sealedFrame(1, "pay me 100");
        record[10] = char(record[10] ^ 0x01);
        raw.send(record);
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::DecryptionFailed);
        QVERIFY(f.lastReason().contains(QLatin1String("failed to open")));
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    void replayedRecord()
    {
        Fixture f(true);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(true), qPrintable(raw.errorString));
        const QByteArray record = raw.sealedFrame(1, "transfer once");
        raw.send(record);
        QTRY_COMPARE_WITH_TIMEOUT(f.attackerMessages, 1, 10000);
        raw.send(record);
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::DecryptionFailed);
        QCOMPARE(f.attackerMessages, 1);
        QVERIFY(f.goodClientStillServed());
    }

    void reflectedRecord()
    {
        Fixture f(true);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(true), qPrintable(raw.errorString));
        QTRY_COMPARE_WITH_TIMEOUT(f.server->clientCount(), 2, 10000);
        QVERIFY(f.server->write(f.attackerId(), 3, "from the server"));
        const QByteArray body = raw.readFrame();
        QVERIFY(!body.isEmpty());
        raw.send(lengthOnly(quint32(body.size())) + body); // back to its sender
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::DecryptionFailed);
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    void truncatedHandshakeMessage()
    {
        Fixture f(true);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.readPreambleAndAccept());
        raw.send(lengthOnly(10) + QByteArray(10, 'e')); // an ephemeral key needs 32
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::HandshakeFailed);
        QVERIFY2(f.lastReason().contains(QLatin1String("too short")), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
    }

    void handshakeTimeout()
    {
        ipc::ServerConfig config;
        config.handshakeTimeout = 200ms;
        Fixture f(true, config);
        QVERIFY(f.ready);
        QSignalSpy connected(f.server.get(), &ipc::Server::clientConnected);
        RawPeer raw(socketPathFor(f.name)); // connects and never answers
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::HandshakeTimeout);
        QVERIFY(f.lastReason().contains(QLatin1String("200 ms")));
        QCOMPARE(connected.count(), 0);
    }

    // A man in the middle who edits the preamble changes the prologue one
    // side mixes in: the Noise handshake then fails instead of proceeding.
    void alteredPreambleFailsHandshake()
    {
        Fixture f(true);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        const QByteArray edited("\x03\x00\x00", 3); // "the server offered no encryption"
        QVERIFY(!raw.handshake(true, {}, edited));
        QVERIFY2(raw.errorString.contains(QLatin1String("decrypt"), Qt::CaseInsensitive),
            qPrintable(raw.errorString));
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    void randomBytesInsteadOfReply()
    {
        Fixture f(true);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.waitForBytes(2));
        QByteArray noise(64, Qt::Uninitialized);
        for (int i = 0; i < noise.size(); ++i)
            noise[i] = char(0x9e + i * 37);
        raw.send(noise);
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolMismatch);
        QVERIFY2(f.lastReason().contains(QLatin1String("158")), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
    }

    // A client of another protocol version answers 1, as golang-ipc does.
    void clientSaysVersionMismatch()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.waitForBytes(2));
        raw.send(QByteArray(1, '\x01'));
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolMismatch);
        QVERIFY2(f.lastReason().contains(QLatin1String("version")), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
    }

    // A server announcing a version the client does not speak: the client
    // answers "version mismatch" and reports it.
    void serverWithUnknownVersion()
    {
        FakeServer fake("version", QByteArray("\x07\x01", 2));
        QVERIFY(fake.listening);
        ipc::Client client(fake.path);
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), ipc::Status::Error, 10000);
        QCOMPARE(client.error(), Error::ProtocolMismatch);
        QVERIFY2(client.errorString().contains(QLatin1String("version 7")),
            qPrintable(client.errorString()));
        QVERIFY(fake.accepted);
        QTRY_VERIFY_WITH_TIMEOUT(fake.accepted->bytesAvailable() >= 1, 10000);
        QCOMPARE(
            fake.accepted->read(1), QByteArray(1, '\x01')); // "version mismatch", golang-ipc's code
    }

    // A plain server of the earlier order, which sends its hello only after
    // the client's reply: the client still connects and its message arrives.
    void plainServerHelloAfterTheReply()
    {
        FakeServer fake("hello-late", QByteArray("\x03\x00", 2)); // preamble alone
        QVERIFY(fake.listening);
        ipc::ClientConfig config;
        config.encryptionRequired = false;
        ipc::Client client(fake.path, config);
        QTRY_VERIFY_WITH_TIMEOUT(fake.accepted && fake.accepted->bytesAvailable() >= 5, 10000);
        QCOMPARE(fake.accepted->read(1), QByteArray(1, '\0')); // reply: ok
        QCOMPARE(client.status(), ipc::Status::Connecting); // it waits for the hello
        fake.accepted->write(RawPeer::plainFrame(0, RawPeer::helloData()));
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), ipc::Status::Connected, 10000);
        QVERIFY(client.write(7, "late"));
        // After the client's hello: the message, a plain frame of type 7.
        QByteArray expected = RawPeer::plainFrame(7, "late");
        QTRY_VERIFY_WITH_TIMEOUT(fake.accepted->peek(1 << 16).endsWith(expected), 10000);
    }

    void randomBytesInsteadOfPreamble()
    {
        FakeServer fake("noise", QByteArray("\xd3\x5a\x11\x42\x99", 5));
        QVERIFY(fake.listening);
        ipc::Client client(fake.path);
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), ipc::Status::Error, 10000);
        QCOMPARE(client.error(), Error::ProtocolMismatch);
        QVERIFY2(
            client.errorString().contains(QLatin1String("211")), qPrintable(client.errorString()));
    }

    // The handshake starts and stops: no reply, a reply and nothing more, or
    // (encrypted) the Noise messages and no hello. Dropped after the timeout.
    void halfFinishedHandshakeThenSilence_data()
    {
        QTest::addColumn<bool>("encrypted");
        QTest::addColumn<int>("stage");
        QTest::newRow("plain, nothing") << false << 0;
        QTest::newRow("plain, reply only") << false << 1;
        QTest::newRow("encrypted, reply only") << true << 1;
        QTest::newRow("encrypted, no hello") << true << 2;
    }

    void halfFinishedHandshakeThenSilence()
    {
        QFETCH(bool, encrypted);
        QFETCH(int, stage);
        ipc::ServerConfig config;
        config.handshakeTimeout = 300ms;
        Fixture f(encrypted, config);
        QVERIFY(f.ready);
        QSignalSpy connected(f.server.get(), &ipc::Server::clientConnected);
        RawPeer raw(socketPathFor(f.name));
        if (stage == 1) {
            QVERIFY(raw.readPreambleAndAccept());
        } else if (stage == 2) {
            raw.withholdHello = true;
            QVERIFY2(raw.handshake(true), qPrintable(raw.errorString));
        }
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::HandshakeTimeout);
        QVERIFY2(f.lastReason().contains(QLatin1String("300 ms")), qPrintable(f.lastReason()));
        QCOMPARE(connected.count(), 0);
        QVERIFY(f.goodClientStillServed());
    }

    // Connections that never say a word: each is dropped after the
    // handshake timeout, the good client is served throughout, and every
    // file descriptor comes back.
    void thousandSilentConnections()
    {
        constexpr int Count = 1000;
        rlimit limit {};
        getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < rlim_t(2 * Count + 200))
            QSKIP("the file descriptor limit is too low for 1,000 connections in one process");
        ipc::ServerConfig config;
        config.handshakeTimeout = 1s;
        Fixture f(true, config);
        QVERIFY(f.ready);
        const int before = openFileDescriptors();
        std::vector<std::unique_ptr<QLocalSocket>> silent;
        for (int i = 0; i < Count; ++i) {
            silent.push_back(std::make_unique<QLocalSocket>());
            silent.back()->connectToServer(socketPathFor(f.name));
        }
        QVERIFY(f.good->keepsExchanging());
        const auto dropped = [&] {
            return std::count_if(
                silent.begin(), silent.end(), [](const std::unique_ptr<QLocalSocket> &s) {
                    return s->state() == QLocalSocket::UnconnectedState;
                });
        };
        QTRY_COMPARE_WITH_TIMEOUT(dropped(), Count, 120000);
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), Count, 30000);
        for (const QList<QVariant> &error : *f.errors)
            QCOMPARE(error.at(1).value<Error>(), Error::HandshakeTimeout);
        silent.clear();
        QTRY_COMPARE_WITH_TIMEOUT(openFileDescriptors(), before, 10000);
        QCOMPARE(f.server->clientCount(), 1);
        QVERIFY(f.goodClientStillServed());
    }

    // A peer that sends its hello in plain to an encrypted server: the
    // bytes are not a handshake the server can complete.
    void plainClientAgainstEncryptedServer()
    {
        Fixture f(true);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.readPreambleAndAccept());
        QCOMPARE(raw.preamble.at(1), '\x01'); // the server offered Noise
        raw.send(
            RawPeer::plainFrame(0, RawPeer::helloData()) + RawPeer::plainFrame(1, "in the clear"));
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QVERIFY2(
            f.lastError() == Error::HandshakeFailed || f.lastError() == Error::DecryptionFailed,
            qPrintable(f.lastReason()));
        QCOMPARE(f.attackerMessages, 0);
        QVERIFY(f.goodClientStillServed());
    }

    // A client that requires encryption, against a plain server: it says
    // so in its reply; both sides report it.
    void encryptingClientAgainstPlainServer()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        ipc::Client client(f.name); // requires encryption by default
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), ipc::Status::Error, 10000);
        QCOMPARE(client.error(), Error::EncryptionRequired);
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::EncryptionRequired);
        QVERIFY2(f.lastReason().contains(QLatin1String("encryption")), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
    }

    void wrongPreSharedKey()
    {
        ipc::ServerConfig config;
        config.preSharedKey = QByteArray(32, 'k');
        Fixture f(true, config);
        QVERIFY(f.ready);
        ipc::ClientConfig wrongConfig = GoodClient::configFor(true, QByteArray(32, 'w'));
        ipc::Client wrong(f.name, wrongConfig);
        QTRY_COMPARE_WITH_TIMEOUT(wrong.status(), ipc::Status::Error, 10000);
        QCOMPARE(wrong.error(), Error::HandshakeFailed);
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::HandshakeFailed);
        QVERIFY2(
            f.lastReason().contains(QLatin1String("pre-shared key")), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
    }

    // Type 0 carries the protocol's control messages; negative types never
    // travel. An empty control message or a negative type is refused; an
    // unknown control kind is skipped (a newer peer's), and the connection
    // goes on.
    void typeZeroAndNegativeFromAPeer_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<bool>("refused");
        QTest::addColumn<QString>("reason");
        QTest::newRow("type 0, empty")
            << RawPeer::plainFrame(0, {}) << true << "malformed control message: empty";
        QTest::newRow("type -5") << RawPeer::plainFrame(-5, "x") << true
                                 << "message type -5 is not allowed";
        QTest::newRow("type -2147483648") << RawPeer::plainFrame(std::numeric_limits<qint32>::min(),
            "x") << true << "message type -2147483648 is not allowed";
        QTest::newRow("type 0, unknown kind") << RawPeer::plainFrame(0,
            "\x63"
            "future") << false << QString();
    }

    void typeZeroAndNegativeFromAPeer()
    {
        QFETCH(QByteArray, frame);
        QFETCH(bool, refused);
        QFETCH(QString, reason);
        Fixture f(false);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        raw.send(frame + RawPeer::plainFrame(4, "after"));
        if (refused) {
            QVERIFY(raw.waitForDisconnected());
            QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
            QCOMPARE(f.lastError(), Error::ProtocolError);
            QVERIFY2(f.lastReason().contains(reason), qPrintable(f.lastReason()));
            QCOMPARE(f.attackerMessages, 0);
        } else {
            QTRY_COMPARE_WITH_TIMEOUT(f.attackerMessages, 1, 10000);
            QVERIFY(raw.isConnected());
            QCOMPARE(f.errors->count(), 0);
        }
        QVERIFY(f.goodClientStillServed());
    }

    // A peer that acknowledges more than it was sent is broken or lying:
    // nothing in the window may be dropped on its word.
    void forgedAcknowledgement()
    {
        Fixture f(false);
        QVERIFY(f.ready);
        QSignalSpy delivered(f.server.get(), &ipc::Server::clientMessagesDelivered);
        RawPeer raw(socketPathFor(f.name));
        raw.hello = RawPeer::acknowledgingHelloData();
        QVERIFY(raw.handshake(false));
        const QByteArray serverResume = raw.readFrame();
        QCOMPARE(serverResume.at(4), char(ipc::wire::ControlKind::Resume));
        ipc::wire::Resume resume;
        resume.stream = 77;
        resume.firstSequence = 1;
        raw.send(RawPeer::plainFrame(0, ipc::wire::encodeResume(resume)));
        QTRY_COMPARE_WITH_TIMEOUT(f.server->clientCount(), 2, 10000);
        const quint64 id = f.attackerId();
        for (int i = 0; i < 3; ++i)
            QVERIFY(f.server->write(id, 5, "counted"));
        for (int i = 0; i < 3; ++i)
            QVERIFY(!raw.readFrame().isEmpty());
        QCOMPARE(f.server->unconfirmedMessageCount(id), 3);
        raw.send(RawPeer::plainFrame(0, ipc::wire::encodeControl(ipc::wire::ControlKind::Ack, 2)));
        QTRY_COMPARE_WITH_TIMEOUT(f.server->unconfirmedMessageCount(id), 1, 10000);
        raw.send(RawPeer::plainFrame(0, ipc::wire::encodeControl(ipc::wire::ControlKind::Ack, 10)));
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QVERIFY2(
            f.lastReason().contains(QLatin1String("acknowledged 10 messages, more than were sent")),
            qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
        // The third message stays unconfirmed (kept for a resume), and is named.
        QTest::ignoreMessage(QtWarningMsg,
            QRegularExpression(QStringLiteral("destroyed with 1 unconfirmed message")));
    }

    // A client process stopped (SIGSTOP) while the server writes to it: it
    // acknowledges nothing, so the send window (1 MiB) and then the write
    // queue (16 messages) fill, and the next write is refused and reported.
    // The good client is served meanwhile. Resumed, the stopped client
    // receives and confirms every accepted message.
    void stoppedClientProcess()
    {
        ipc::ServerConfig config;
        config.sendWindow = ipc::SendWindow { 1000, 1 << 20 };
        config.writeQueueLimit = 16;
        Fixture f(true, config);
        QVERIFY(f.ready);
        QSignalSpy writable(f.server.get(), &ipc::Server::clientWritableChanged);
        QSignalSpy delivered(f.server.get(), &ipc::Server::clientMessagesDelivered);
        QProcess peer;
        peer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        peer.start(peerPath(), { QStringLiteral("idle-client"), f.name });
        QVERIFY(peer.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(peer.canReadLine(), 20000);
        QCOMPARE(peer.readLine().trimmed(), QByteArray("connected"));
        QTRY_COMPARE_WITH_TIMEOUT(f.server->clientCount(), 2, 10000);
        const quint64 id = f.attackerId();
        QCOMPARE(::kill(pid_t(peer.processId()), SIGSTOP), 0);

        const QByteArray block(64 * 1024, 'b');
        int accepted = 0;
        while (accepted < 1000 && f.server->write(id, 6, block))
            ++accepted;
        QCOMPARE(accepted, 32); // 16 fill the window's bytes, 16 the queue
        QCOMPARE(f.lastError(), Error::WriteQueueFull);
        QVERIFY2(f.lastReason().contains(QLatin1String("16 messages (writeQueueLimit)")),
            qPrintable(f.lastReason()));
        QCOMPARE(f.server->unconfirmedMessageCount(id), 32);
        QVERIFY(!f.server->isWritable(id));
        QCOMPARE(writable.count(), 1);
        QVERIFY(f.goodClientStillServed());

        QCOMPARE(::kill(pid_t(peer.processId()), SIGCONT), 0);
        const auto confirmedFor = [&](quint64 client) {
            int total = 0;
            for (const QList<QVariant> &signal : delivered)
                total += signal.at(0).toULongLong() == client ? signal.at(1).toInt() : 0;
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(confirmedFor(id), 32, 30000);
        QCOMPARE(f.server->unconfirmedMessageCount(id), 0);
        QVERIFY(f.server->isWritable(id));
        QVERIFY(f.goodClientHasNoError());
        stopPeer(peer);
    }

    // The same with large messages: the queue is bounded by bytes as well
    // (writeQueueBytes), so a stopped client pins at most the window's and
    // the queue's bytes, not writeQueueLimit large messages.
    void stoppedClientBoundedInBytes()
    {
        ipc::ServerConfig config;
        config.sendWindow = ipc::SendWindow { 1000, 1 << 20 };
        config.writeQueueBytes = 8 << 20;
        Fixture f(true, config);
        QVERIFY(f.ready);
        QSignalSpy delivered(f.server.get(), &ipc::Server::clientMessagesDelivered);
        QProcess peer;
        peer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        peer.start(peerPath(), { QStringLiteral("idle-client"), f.name });
        QVERIFY(peer.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(peer.canReadLine(), 20000);
        QCOMPARE(peer.readLine().trimmed(), QByteArray("connected"));
        QTRY_COMPARE_WITH_TIMEOUT(f.server->clientCount(), 2, 10000);
        const quint64 id = f.attackerId();
        QCOMPARE(::kill(pid_t(peer.processId()), SIGSTOP), 0);

        const QByteArray block(1 << 20, 'm');
        int accepted = 0;
        while (accepted < 1000 && f.server->write(id, 6, block))
            ++accepted;
        QCOMPARE(accepted, 9); // one fills the window's bytes, 8 the queue's
        QCOMPARE(f.lastError(), Error::WriteQueueFull);
        QVERIFY2(
            f.lastReason().contains(QLatin1String("writeQueueBytes")), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());

        QCOMPARE(::kill(pid_t(peer.processId()), SIGCONT), 0);
        const auto confirmed = [&] {
            int total = 0;
            for (const QList<QVariant> &signal : delivered)
                total += signal.at(0).toULongLong() == id ? signal.at(1).toInt() : 0;
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(confirmed(), 9, 30000);
        QVERIFY(f.server->isWritable(id));
        stopPeer(peer);
    }

    // A peer that does not acknowledge (a raw native client without the
    // delivery block, as golang-ipc or MinIPC peers) stops reading: the
    // socket's buffer holds at most the window's bytes, then the queue
    // fills, then writes are refused. Reading again, it gets every
    // accepted message in order.
    void nonAcknowledgingPeerStopsReading()
    {
        ipc::ServerConfig config;
        config.sendWindow = ipc::SendWindow { 1000, 1 << 20 };
        config.writeQueueLimit = 16;
        Fixture f(false, config);
        QVERIFY(f.ready);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        raw.socket.setReadBufferSize(64 * 1024); // Qt stops reading the socket when this is full
        QTRY_COMPARE_WITH_TIMEOUT(f.server->clientCount(), 2, 10000);
        const quint64 id = f.attackerId();

        const QByteArray block(64 * 1024, 'n');
        int accepted = 0;
        // Refused once the socket holds a window's bytes and 16 more wait;
        // the system's socket buffers take a few blocks as well.
        while (accepted < 1000) {
            if (!f.server->write(id, 6, QByteArray::number(accepted) + block))
                break;
            ++accepted;
            QCoreApplication::processEvents(); // lets Qt hand what it can to the system
        }
        QVERIFY2(accepted >= 16 + 16 && accepted <= 16 + 16 + 128,
            qPrintable(QString::number(accepted)));
        QCOMPARE(f.lastError(), Error::WriteQueueFull);
        QCOMPARE(f.server->unconfirmedMessageCount(id), 16);
        QVERIFY(f.goodClientStillServed());

        raw.socket.setReadBufferSize(0);
        for (int i = 0; i < accepted; ++i) {
            const QByteArray body = raw.readFrame();
            QVERIFY2(body.mid(4).startsWith(QByteArray::number(i) + 'n'),
                qPrintable(QString::number(i)));
        }
        QTRY_COMPARE_WITH_TIMEOUT(f.server->unconfirmedMessageCount(id), 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(f.server->isWritable(id), 10000);
        QVERIFY(f.goodClientHasNoError());
    }

    // The first byte tells golang-ipc's version 2 from the native version 3:
    // the client answers a v2 server in v2 (reply 0, ok), and refuses a
    // public key that is not on the curve with a clear error.
    void clientRecognisesGolangIpcServer()
    {
        FakeServer fake("v2", QByteArray("\x02\x01", 2)); // golang-ipc: version 2, encrypted
        QVERIFY(fake.listening);
        ipc::Client client(fake.path);
        QTRY_VERIFY_WITH_TIMEOUT(fake.accepted && fake.accepted->bytesAvailable() >= 1, 10000);
        QCOMPARE(fake.accepted->read(1), QByteArray(1, '\x00')); // reply: ok
        QByteArray offCurve(97, '\x01');
        offCurve[0] = '\x04';
        fake.accepted->write(offCurve);
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), ipc::Status::Error, 10000);
        QCOMPARE(client.error(), Error::HandshakeFailed);
        QVERIFY2(client.errorString().contains(QLatin1String("not a point on P-384")),
            qPrintable(client.errorString()));
    }
};

QTEST_MAIN(TestAttacks)
#include "tst_attacks.moc"
