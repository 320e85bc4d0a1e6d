// Unit tests of the frame reader and writer: no sockets, no event loop.
#include "wire/frame_reader.h"
#include "wire/frame_writer.h"

#include <QtEndian>
#include <QtTest>

using ipc::wire::FrameReader;

namespace {

QByteArray frame(qint32 type, const QByteArray &data)
{
    QByteArray out;
    ipc::wire::appendMessageFrame(out, type, data.constData(), data.size());
    return out;
}

struct Parsed
{
    QList<QByteArray> bodies;
    FrameReader::Result last = FrameReader::Result::NeedMore;
};

Parsed drain(FrameReader &reader)
{
    Parsed parsed;
    char *body = nullptr;
    qsizetype size = 0;
    while ((parsed.last = reader.next(&body, &size)) == FrameReader::Result::Frame)
        parsed.bodies.append(QByteArray(body, size));
    return parsed;
}

} // namespace

class TestFrameReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writerLayout()
    {
        const QByteArray bytes = frame(0x01020304, QByteArrayLiteral("hi"));
        QCOMPARE(bytes.toHex(), QByteArray("00000006" "01020304" "6869"));
        QCOMPARE(frame(-1, {}).toHex(), QByteArray("00000004" "ffffffff"));
    }

    void splitReads_data()
    {
        QTest::addColumn<int>("chunk");
        for (int chunk : {1, 2, 3, 5, 7, 64, 4096})
            QTest::addRow("chunk %d", chunk) << chunk;
    }

    void splitReads()
    {
        QFETCH(int, chunk);
        QByteArray stream;
        QList<QByteArray> expected;
        for (int i = 0; i < 50; ++i) {
            const QByteArray data(i * 13 % 300, char('a' + i % 26));
            stream += frame(i + 1, data);
            expected.append(frame(i + 1, data).mid(4));
        }
        FrameReader reader(1024);
        QList<QByteArray> got;
        for (int offset = 0; offset < stream.size(); offset += chunk) {
            reader.append(stream.constData() + offset, qMin<qsizetype>(chunk, stream.size() - offset));
            const Parsed parsed = drain(reader);
            QCOMPARE(parsed.last, FrameReader::Result::NeedMore);
            got += parsed.bodies;
        }
        QCOMPARE(got, expected);
        QVERIFY(reader.truncationError().isEmpty());
    }

    void manyFramesInOneRead()
    {
        QByteArray stream;
        for (int i = 0; i < 1000; ++i)
            stream += frame(7, QByteArray::number(i));
        FrameReader reader(64);
        reader.append(stream.constData(), stream.size());
        const Parsed parsed = drain(reader);
        QCOMPARE(parsed.bodies.size(), 1000);
        QCOMPARE(parsed.bodies.at(999).mid(4), QByteArray("999"));
        QCOMPARE(reader.available(), 0);
    }

    void zeroLengthData()
    {
        FrameReader reader(16);
        const QByteArray bytes = frame(5, QByteArray());
        reader.append(bytes.constData(), bytes.size());
        const Parsed parsed = drain(reader);
        QCOMPARE(parsed.bodies.size(), 1);
        QCOMPARE(parsed.bodies.first().size(), 4); // only the type
        // A frame with an empty body is legal for the reader; the session
        // rejects it for lacking a type.
        const QByteArray empty(4, '\0');
        reader.append(empty.constData(), empty.size());
        QCOMPARE(drain(reader).bodies, QList<QByteArray>{QByteArray()});
    }

    void oversizedLengthRejectedBeforeBody()
    {
        FrameReader reader(1024);
        char header[4];
        qToBigEndian<quint32>(0xFFFFFFFFu, header);
        reader.append(header, 4); // only the header: no body ever arrives
        const Parsed parsed = drain(reader);
        QCOMPARE(parsed.last, FrameReader::Result::Error);
        QVERIFY2(reader.errorString().contains(QLatin1String("4294967295"))
                     && reader.errorString().contains(QLatin1String("1024")),
                 qPrintable(reader.errorString()));
        // The reader stays failed.
        reader.append(frame(1, "x").constData(), 9);
        QCOMPARE(drain(reader).last, FrameReader::Result::Error);
    }

    void limitIsInclusive()
    {
        FrameReader reader(8);
        const QByteArray ok = frame(1, QByteArray(4, 'x')); // body 8
        reader.append(ok.constData(), ok.size());
        QCOMPARE(drain(reader).bodies.size(), 1);
        const QByteArray tooBig = frame(1, QByteArray(5, 'x')); // body 9
        reader.append(tooBig.constData(), tooBig.size());
        QCOMPARE(drain(reader).last, FrameReader::Result::Error);
    }

    void truncatedAtEof()
    {
        FrameReader reader(1024);
        const QByteArray bytes = frame(1, QByteArray(100, 'z'));
        reader.append(bytes.constData(), 60);
        QCOMPARE(drain(reader).bodies.size(), 0);
        QCOMPARE(reader.truncationError(),
                 QStringLiteral("connection closed inside a frame (56 of 104 bytes)"));

        FrameReader headerOnly(1024);
        headerOnly.append(bytes.constData(), 3);
        QCOMPARE(headerOnly.truncationError(),
                 QStringLiteral("connection closed inside a frame header (3 of 4 bytes)"));
    }

    void rawBytesBeforeFrames()
    {
        FrameReader reader(64);
        QByteArray bytes("\x03\x01");
        bytes += frame(9, "abc");
        reader.append(bytes.constData(), 1);
        char preamble[2];
        QVERIFY(!reader.takeRaw(preamble, 2));
        reader.append(bytes.constData() + 1, bytes.size() - 1);
        QVERIFY(reader.takeRaw(preamble, 2));
        QCOMPARE(preamble[0], '\x03');
        const Parsed parsed = drain(reader);
        QCOMPARE(parsed.bodies.size(), 1);
        QCOMPARE(parsed.bodies.first().mid(4), QByteArray("abc"));
    }

    // Steady streaming must not grow the buffer: consumed bytes are reused.
    void bufferStaysBounded()
    {
        FrameReader reader(256);
        const QByteArray bytes = frame(1, QByteArray(200, 'q'));
        for (int i = 0; i < 10000; ++i) {
            reader.append(bytes.constData(), bytes.size() / 2);
            drain(reader);
            reader.append(bytes.constData() + bytes.size() / 2, bytes.size() - bytes.size() / 2);
            QCOMPARE(drain(reader).bodies.size(), 1);
        }
        QVERIFY(reader.reserve(0) != nullptr);
        QCOMPARE(reader.available(), 0);
    }
};

QTEST_APPLESS_MAIN(TestFrameReader)
#include "tst_framereader.moc"
