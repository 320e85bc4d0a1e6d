// Hostile or broken peers: each case must close only that connection with
// an error naming the cause, deliver nothing bad, and leave the server
// serving its other clients.
#include "echo.h"
#include "rawpeer.h"
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QLocalServer>
#include <QSignalSpy>
#include <QtEndian>
#include <QtTest>

using namespace std::chrono_literals;
using ipc::Error;
using ipc::Message;

namespace {

// A server with one well-behaved client that echoes through it, so each
// test can show the others are still served after an attack.
struct Fixture
{
    explicit Fixture(bool encrypted, ipc::ServerConfig config = {})
        : name(uniqueName("attack"))
    {
        config.encryption = encrypted;
        server = std::make_unique<ipc::Server>(name, config);
        echoEverything(*server);
        errors = std::make_unique<QSignalSpy>(server.get(), &ipc::Server::clientErrorOccurred);
        received = std::make_unique<QSignalSpy>(server.get(), &ipc::Server::messageReceived);
        listening = server->listen();
    }

    bool goodClientStillServed()
    {
        ipc::ClientConfig config;
        config.encryptionRequired = server->config().encryption;
        ipc::Client client(name, config);
        if (!client.waitForConnected(10s))
            return false;
        client.write(9, "still here");
        const Message reply = client.waitForMessage(10s);
        return reply.type == 9 && reply.data == "still here";
    }

    Error lastError() const { return errors->isEmpty() ? Error::NoError : errors->last().at(1).value<Error>(); }
    QString lastReason() const { return errors->isEmpty() ? QString() : errors->last().at(2).toString(); }

    QString name;
    std::unique_ptr<ipc::Server> server;
    std::unique_ptr<QSignalSpy> errors;
    std::unique_ptr<QSignalSpy> received;
    bool listening = false;
};

QByteArray lengthOnly(quint32 length)
{
    QByteArray header(4, Qt::Uninitialized);
    qToBigEndian<quint32>(length, header.data());
    return header;
}

} // namespace

class TestAttacks : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oversizedFrameRejectedBeforeAllocation_data()
    {
        QTest::addColumn<bool>("encrypted");
        QTest::newRow("plain") << false;
        QTest::newRow("encrypted") << true;
    }

    void oversizedFrameRejectedBeforeAllocation()
    {
        QFETCH(bool, encrypted);
        ipc::ServerConfig config;
        config.maxMessageSize = 2048;
        Fixture f(encrypted, config);
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(encrypted), qPrintable(raw.errorString));
        raw.send(lengthOnly(0x7FFFFFFF)); // claims 2 GiB; no body follows
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::MessageTooLarge);
        QVERIFY2(f.lastReason().contains(QLatin1String("2147483647 bytes exceeds the limit")), qPrintable(f.lastReason()));
        QVERIFY(f.goodClientStillServed());
    }

    void malformedFrameTooShortForType()
    {
        Fixture f(false);
        QVERIFY(f.listening);
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
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.readPreambleAndAccept());
        raw.send(RawPeer::plainFrame(1, "sneaky"));
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QCOMPARE(f.received->count(), 0);
        QVERIFY(f.goodClientStillServed());
    }

    void truncatedFrameAtEof()
    {
        Fixture f(false);
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        raw.send(RawPeer::plainFrame(1, QByteArray(100, 'x')).left(50));
        raw.socket.disconnectFromServer();
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QVERIFY2(f.lastReason().contains(QLatin1String("closed inside a frame (46 of 104 bytes)")),
                 qPrintable(f.lastReason()));
        QCOMPARE(f.received->count(), 0);
    }

    // A large plain body is read straight into its own buffer; cut short, it
    // is still reported as a truncated frame and delivers nothing.
    void truncatedLargeFrameAtEof()
    {
        Fixture f(false);
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY(raw.handshake(false));
        raw.send(RawPeer::plainFrame(1, QByteArray(100000, 'x')).left(60000));
        raw.socket.disconnectFromServer();
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::ProtocolError);
        QVERIFY2(f.lastReason().contains(QLatin1String("closed inside a frame (59996 of 100004 bytes)")),
                 qPrintable(f.lastReason()));
        QCOMPARE(f.received->count(), 0);
        QVERIFY(f.goodClientStillServed());
    }

    void flippedBitInRecord()
    {
        Fixture f(true);
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(true), qPrintable(raw.errorString));
        QByteArray record = raw.sealedFrame(1, "pay me 100");
        record[10] = char(record[10] ^ 0x01);
        raw.send(record);
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::DecryptionFailed);
        QVERIFY(f.lastReason().contains(QLatin1String("failed to open")));
        QCOMPARE(f.received->count(), 0);
        QVERIFY(f.goodClientStillServed());
    }

    void replayedRecord()
    {
        Fixture f(true);
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(true), qPrintable(raw.errorString));
        const QByteArray record = raw.sealedFrame(1, "transfer once");
        raw.send(record);
        QTRY_COMPARE_WITH_TIMEOUT(f.received->count(), 1, 10000);
        raw.send(record);
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::DecryptionFailed);
        QCOMPARE(f.received->count(), 1);
        QVERIFY(f.goodClientStillServed());
    }

    void reflectedRecord()
    {
        Fixture f(true);
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        QVERIFY2(raw.handshake(true), qPrintable(raw.errorString));
        QTRY_COMPARE_WITH_TIMEOUT(f.server->clientCount(), 1, 10000);
        QVERIFY(f.server->write(f.server->clientIds().first(), 3, "from the server"));
        const QByteArray body = raw.readFrame();
        QVERIFY(!body.isEmpty());
        raw.send(lengthOnly(quint32(body.size())) + body); // back to its sender
        QVERIFY(raw.waitForDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(f.errors->count(), 1, 10000);
        QCOMPARE(f.lastError(), Error::DecryptionFailed);
        QCOMPARE(f.received->count(), 0);
        QVERIFY(f.goodClientStillServed());
    }

    void truncatedHandshakeMessage()
    {
        Fixture f(true);
        QVERIFY(f.listening);
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
        QVERIFY(f.listening);
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
        QVERIFY(f.listening);
        RawPeer raw(socketPathFor(f.name));
        const QByteArray edited("\x03\x00\x00", 3); // "the server offered no encryption"
        QVERIFY(!raw.handshake(true, {}, edited));
        QVERIFY2(raw.errorString.contains(QLatin1String("decrypt"), Qt::CaseInsensitive),
                 qPrintable(raw.errorString));
        QCOMPARE(f.received->count(), 0);
        QVERIFY(f.goodClientStillServed());
    }

    // The first byte tells golang-ipc's version 2 from the native version 3:
    // the client answers a v2 server in v2 (reply 0, ok), and refuses a
    // public key that is not on the curve with a clear error.
    void clientRecognisesGolangIpcServer()
    {
        const QString path = socketPathFor(uniqueName("v2"));
        QLocalServer fake;
        QVERIFY(fake.listen(path));
        QLocalSocket *accepted = nullptr;
        connect(&fake, &QLocalServer::newConnection, this, [&] {
            accepted = fake.nextPendingConnection();
            accepted->write(QByteArray("\x02\x01", 2)); // golang-ipc: version 2, encrypted
        });
        ipc::Client client(path);
        QTRY_VERIFY_WITH_TIMEOUT(accepted && accepted->bytesAvailable() >= 1, 10000);
        QCOMPARE(accepted->read(1), QByteArray(1, '\x00')); // reply: ok
        QByteArray offCurve(97, '\x01');
        offCurve[0] = '\x04';
        accepted->write(offCurve);
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), ipc::Status::Error, 10000);
        QCOMPARE(client.error(), Error::HandshakeFailed);
        QVERIFY2(client.errorString().contains(QLatin1String("not a point on P-384")),
                 qPrintable(client.errorString()));
    }
};

QTEST_MAIN(TestAttacks)
#include "tst_attacks.moc"
