// Sealed batches (docs/PROTOCOL.md, section 5a) between two native
// adapters fed by hand, without sockets: many messages in few records,
// records split anywhere by reads, messages spanning records, a tampered or
// replayed batch, limits, a stream cut inside a message, and a peer without
// the capability.
#include "protocol/native.h"
#include "wire/control.h"
#include "wire/frame_writer.h"

#include <QtEndian>
#include <QtTest>

#include <memory>

using namespace ipc;
using protocol::Event;
using protocol::NativeAdapter;
using protocol::Role;

namespace {

// What an Output holds, its block included, taken out of it.
QByteArray take(protocol::Output &out)
{
    QByteArray bytes = out.contents();
    bytes += out.block();
    out.block() = QByteArray();
    out.clear();
    out.clearFlush();
    return bytes;
}

// The bodies' lengths of the frames in bytes (records, once encrypted).
QList<quint32> frameLengths(const QByteArray &bytes)
{
    QList<quint32> lengths;
    for (qsizetype at = 0; at + 4 <= bytes.size();) {
        const quint32 length = qFromBigEndian<quint32>(bytes.constData() + at);
        lengths.append(length);
        at += 4 + qsizetype(length);
    }
    return lengths;
}

struct Side
{
    std::unique_ptr<NativeAdapter> adapter;
    wire::FrameReader in;
    protocol::Output out;
    QList<std::pair<qint32, QByteArray>> messages;
    bool established = false;
    Event ended; // Failed or Closed, once

    // Feeds bytes and runs until more are needed; what it writes is added
    // to *written. False once the connection ended.
    bool feed(const QByteArray &bytes, QByteArray *written)
    {
        in.append(bytes.constData(), bytes.size());
        for (;;) {
            Event event = adapter->next(in, out);
            *written += take(out);
            switch (event.kind) {
            case Event::Message:
                messages.append({ event.type, event.data });
                break;
            case Event::Established:
                established = true;
                break;
            case Event::NeedMore:
                return true;
            case Event::Failed:
            case Event::Closed:
                ended = event;
                return false;
            default:
                break;
            }
        }
    }
};

// An encrypted client and server, handshake and hellos done.
struct Pair
{
    Side client;
    Side server;

    bool establish(bool clientBatches = true, bool serverBatches = true, quint32 serverMaximum = 0)
    {
        protocol::Settings settings;
        settings.role = Role::Server;
        settings.sealedBatches = serverBatches;
        if (serverMaximum)
            settings.maxMessageSize = serverMaximum;
        server.adapter = std::make_unique<NativeAdapter>(settings);
        settings.role = Role::Client;
        settings.sealedBatches = clientBatches;
        settings.maxMessageSize = DefaultMaxMessageSize;
        client.adapter = std::make_unique<NativeAdapter>(settings);
        server.adapter->start(server.out);
        QByteArray toClient = take(server.out);
        client.adapter->start(client.out);
        QByteArray toServer = take(client.out);
        while (!toClient.isEmpty() || !toServer.isEmpty()) {
            const QByteArray forClient = std::exchange(toClient, QByteArray());
            const QByteArray forServer = std::exchange(toServer, QByteArray());
            if ((!forClient.isEmpty() && !client.feed(forClient, &toServer))
                || (!forServer.isEmpty() && !server.feed(forServer, &toClient)))
                return false;
        }
        return client.established && server.established;
    }

    // Hands records to the server; false once its connection ended.
    bool serverTakes(const QByteArray &records)
    {
        QByteArray answers; // nothing here answers back
        return server.feed(records, &answers);
    }

    // Writes messages from the client as one burst; the records it makes.
    QByteArray clientBurst(const QList<std::pair<qint32, QByteArray>> &messages)
    {
        QByteArray records;
        for (const auto &[type, data] : messages) {
            if (client.adapter->writeMessage(type, data, client.out).kind
                != protocol::Adapter::WriteResult::Written)
                return QByteArray();
            records += take(client.out);
            while (client.adapter->sealsMore()) { // a large message, a piece at a time
                if (!client.adapter->sealNextPiece(client.out))
                    return QByteArray();
                records += take(client.out);
            }
        }
        client.adapter->seal(client.out);
        return records + take(client.out);
    }
};

QList<std::pair<qint32, QByteArray>> smallMessages(int count)
{
    QList<std::pair<qint32, QByteArray>> messages;
    for (int i = 0; i < count; ++i)
        messages.append({ 1 + i % 7, QByteArray(64, char('a' + i % 26)) });
    return messages;
}

QByteArray pattern(qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char((i * 7 + i / 251) & 0xff);
    return bytes;
}

} // namespace

class TestSealedBatches : public QObject
{
    Q_OBJECT

private slots:
    // 1,000 messages of 64 bytes (72 with their frames) in two records: the
    // first full (65,519 bytes of plaintext, ending inside the 910th frame),
    // the second the rest; all delivered in order.
    void manyMessagesInFewRecords()
    {
        Pair pair;
        QVERIFY(pair.establish());
        const auto messages = smallMessages(1000);
        const QByteArray records = pair.clientBurst(messages);
        QCOMPARE(frameLengths(records),
            (QList<quint32> { 65535, quint32(1000 * 72 - NativeAdapter::MaxBatchPlaintext + 16) }));
        QVERIFY(pair.serverTakes(records));
        QCOMPARE(pair.server.messages, messages);
    }

    // The same records, arriving in reads of any size.
    void recordsSplitAcrossReads_data()
    {
        QTest::addColumn<int>("readSize");
        for (int size : { 1, 5, 999, 4096, 65536 })
            QTest::newRow(qPrintable(QString::number(size))) << size;
    }
    void recordsSplitAcrossReads()
    {
        QFETCH(int, readSize);
        Pair pair;
        QVERIFY(pair.establish());
        const auto messages = smallMessages(1000);
        const QByteArray records = pair.clientBurst(messages);
        for (qsizetype at = 0; at < records.size(); at += readSize)
            QVERIFY(pair.serverTakes(records.mid(at, readSize)));
        QCOMPARE(pair.server.messages, messages);
    }

    // A large message between small ones: sealed at once with what was held
    // before it (five records, its data spanning them), the two after it
    // in a sixth; it arrives whole, read at once or in pieces.
    void messageSpanningRecords()
    {
        const QList<std::pair<qint32, QByteArray>> messages { { 3, "before" },
            { 4, pattern(300 * 1024 + 17) }, { 5, "after" }, { 6, pattern(5000) } };
        for (const int readSize : { 0, 1000, 65539 }) {
            Pair pair;
            QVERIFY(pair.establish());
            const QByteArray records = pair.clientBurst(messages);
            QCOMPARE(frameLengths(records).size(), 6);
            if (readSize == 0) {
                QVERIFY(pair.serverTakes(records));
            } else {
                for (qsizetype at = 0; at < records.size(); at += readSize)
                    QVERIFY(pair.serverTakes(records.mid(at, readSize)));
            }
            QCOMPARE(pair.server.messages, messages);
            QCOMPARE(pair.server.adapter->partialMessageBytes(), 0);
        }
    }

    // A large message is sealed a piece at a time (four records each); what
    // is written before its last piece, small or large, follows it.
    void writesDuringALargeMessageFollowIt()
    {
        Pair pair;
        QVERIFY(pair.establish());
        NativeAdapter &client = *pair.client.adapter;
        const QByteArray large = pattern(3 * NativeAdapter::PiecePlaintext);
        QVERIFY(client.writeMessage(1, large, pair.client.out).kind
            == protocol::Adapter::WriteResult::Written);
        QVERIFY(client.sealsMore());
        QByteArray records = take(pair.client.out);
        QCOMPARE(frameLengths(records), QList<quint32>(4, 65535));
        QVERIFY(client.writeMessage(2, "small", pair.client.out).kind
            == protocol::Adapter::WriteResult::Written);
        QVERIFY(client.writeMessage(3, pattern(10000), pair.client.out).kind
            == protocol::Adapter::WriteResult::Written);
        QVERIFY(client.seal(pair.client.out)); // held: they go after the message
        QVERIFY(pair.client.out.isEmpty());
        while (client.sealsMore()) {
            QVERIFY(client.sealNextPiece(pair.client.out));
            records += take(pair.client.out);
        }
        QVERIFY(!client.hasUnsealed());
        QVERIFY(pair.serverTakes(records));
        const QList<std::pair<qint32, QByteArray>> expected { { 1, large }, { 2, "small" },
            { 3, pattern(10000) } };
        QCOMPARE(pair.server.messages, expected);
    }

    // docs/PROTOCOL.md's example: three messages, one record of 4 + 31 + 16
    // bytes, whose plaintext is their three plain frames.
    void workedExample()
    {
        Pair pair;
        QVERIFY(pair.establish());
        const QList<std::pair<qint32, QByteArray>> messages { { 7, "hi" }, { 8, "there" },
            { 9, QByteArray() } };
        const QByteArray records = pair.clientBurst(messages);
        QCOMPARE(records.left(4).toHex(' '), QByteArray("00 00 00 2f"));
        QCOMPARE(records.size(), 4 + 0x2f);
        QByteArray plain(31, Qt::Uninitialized);
        char *at = plain.data();
        for (const auto &[type, data] : messages)
            at = wire::writeMessageFrame(at, type, data.constData(), data.size()) + 4 + data.size();
        QCOMPARE(plain.toHex(' '),
            QByteArray("00 00 00 06 00 00 00 07 68 69 00 00 00 09 00 00 00 08 74 68 65 72 65 "
                       "00 00 00 04 00 00 00 09"));
        QVERIFY(pair.serverTakes(records));
        QCOMPARE(pair.server.messages, messages);
    }

    // One flipped bit in the second record: what the first held arrives,
    // then the connection ends as altered; nothing of the second is delivered.
    void tamperedBatch()
    {
        Pair pair;
        QVERIFY(pair.establish());
        QByteArray records = pair.clientBurst(smallMessages(1000));
        records[4 + 65535 + 4 + 100] = char(records[4 + 65535 + 4 + 100] ^ 0x20);
        QVERIFY(!pair.serverTakes(records));
        QCOMPARE(pair.server.ended.error, Error::DecryptionFailed);
        QVERIFY2(pair.server.ended.reason.contains(QLatin1String("altered, replayed")),
            qPrintable(pair.server.ended.reason));
        QCOMPARE(pair.server.messages.size(), NativeAdapter::MaxBatchPlaintext / 72);
    }

    // A record sent twice does not open the second time.
    void replayedBatch()
    {
        Pair pair;
        QVERIFY(pair.establish());
        const QByteArray record = pair.clientBurst(smallMessages(10));
        QVERIFY(pair.serverTakes(record));
        QVERIFY(!pair.serverTakes(record));
        QCOMPARE(pair.server.ended.error, Error::DecryptionFailed);
        QCOMPARE(pair.server.messages.size(), 10);
    }

    // A record larger than Noise allows is refused from its length alone.
    void oversizedRecord()
    {
        Pair pair;
        QVERIFY(pair.establish());
        QByteArray header(4, Qt::Uninitialized);
        qToBigEndian<quint32>(65536, header.data());
        QVERIFY(!pair.serverTakes(header));
        QCOMPARE(pair.server.ended.error, Error::ProtocolError);
        QVERIFY2(pair.server.ended.reason.contains(QLatin1String("65536")),
            qPrintable(pair.server.ended.reason));
    }

    // A message over the receiver's limit, inside a batch: refused from its
    // frame's length, before its data is held.
    void messageOverTheLimitInABatch()
    {
        Pair pair;
        QVERIFY(pair.establish(true, true, 100 * 1024));
        const QByteArray records = pair.clientBurst({ { 1, "fine" }, { 2, pattern(200 * 1024) } });
        QVERIFY(!pair.serverTakes(records.left(4 + 65535)));
        QCOMPARE(pair.server.ended.error, Error::MessageTooLarge);
        QCOMPARE(pair.server.messages.size(), 1);
    }

    // The stream ends inside a message that spans records: reported as cut
    // short, with how much had come.
    void streamEndsInsideABatchedMessage()
    {
        Pair pair;
        QVERIFY(pair.establish());
        const QByteArray records = pair.clientBurst({ { 2, pattern(200 * 1024) } });
        QVERIFY(pair.serverTakes(records.left(2 * (4 + 65535))));
        QVERIFY(pair.server.adapter->partialMessageBytes() > 65535);
        const Event end = pair.server.adapter->endOfStream(
            pair.server.in, Error::ConnectionLost, QStringLiteral("gone"));
        QCOMPARE(end.error, Error::ProtocolError);
        QVERIFY2(end.reason.contains(QLatin1String("closed inside a frame")), qPrintable(end.reason));
    }

    // Either side without the capability: one record per message, both ways.
    void peerWithoutTheCapability_data()
    {
        QTest::addColumn<bool>("clientBatches");
        QTest::addColumn<bool>("serverBatches");
        QTest::newRow("client without") << false << true;
        QTest::newRow("server without") << true << false;
    }
    void peerWithoutTheCapability()
    {
        QFETCH(bool, clientBatches);
        QFETCH(bool, serverBatches);
        Pair pair;
        QVERIFY(pair.establish(clientBatches, serverBatches));
        QVERIFY(!pair.client.adapter->hasUnsealed());
        const auto messages = smallMessages(5);
        const QByteArray records = pair.clientBurst(messages);
        QCOMPARE(frameLengths(records), QList<quint32>(5, 4 + 64 + 16));
        QVERIFY(pair.serverTakes(records));
        QCOMPARE(pair.server.messages, messages);
    }

    // Control messages (a ping, its pong) travel in the batches too.
    void controlMessagesInBatches()
    {
        Pair pair;
        QVERIFY(pair.establish());
        QVERIFY(pair.client.adapter->writeControl(pair.client.out, protocol::Control::ping(42)));
        QVERIFY(pair.client.out.isEmpty()); // held for the batch
        QVERIFY(pair.client.adapter->hasUnsealed());
        pair.client.adapter->seal(pair.client.out);
        QByteArray pong;
        QVERIFY(pair.server.feed(take(pair.client.out), &pong));
        QVERIFY(pong.isEmpty()); // the server holds its pong too
        QVERIFY(pair.server.adapter->seal(pair.server.out));
        pong = take(pair.server.out);
        wire::FrameReader &in = pair.client.in;
        in.append(pong.constData(), pong.size());
        const Event event = pair.client.adapter->next(in, pair.client.out);
        QCOMPARE(event.kind, Event::Ponged);
        QCOMPARE(event.token, quint64(42));
    }
};

QTEST_MAIN(TestSealedBatches)
#include "tst_sealed_batches.moc"
