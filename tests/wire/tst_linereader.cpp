// MinIPC's line framing: lines split anywhere, CR dropped, a bound on length.
#include "wire/line_reader.h"

#include <QtTest>

using ipc::wire::LineReader;

class TestLineReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void linesSplitAnywhere()
    {
        LineReader reader(100);
        QByteArray line;
        for (const char *piece : {"ab", "c\r\nd", "e", "\n\nf"}) {
            reader.append(piece, qsizetype(qstrlen(piece)));
        }
        QCOMPARE(reader.next(&line), LineReader::Result::Line);
        QCOMPARE(line, QByteArray("abc"));
        QCOMPARE(reader.next(&line), LineReader::Result::Line);
        QCOMPARE(line, QByteArray("de"));
        QCOMPARE(reader.next(&line), LineReader::Result::Line);
        QCOMPARE(line, QByteArray(""));
        QCOMPARE(reader.next(&line), LineReader::Result::NeedMore);
        QCOMPARE(reader.partialLineSize(), 1);
        reader.append("g\n", 2);
        QCOMPARE(reader.next(&line), LineReader::Result::Line);
        QCOMPARE(line, QByteArray("fg"));
    }

    // A line that trickles in byte by byte is found once it ends, however
    // much was consumed before it (the buffer compacts as it goes).
    void tricklingLines()
    {
        LineReader reader(1000);
        QByteArray line;
        for (int i = 0; i < 300; ++i) {
            const QByteArray expected = QByteArray::number(i).repeated(3);
            for (char byte : expected) {
                reader.append(&byte, 1);
                QCOMPARE(reader.next(&line), LineReader::Result::NeedMore);
            }
            reader.append("\n", 1);
            QCOMPARE(reader.next(&line), LineReader::Result::Line);
            QCOMPARE(line, expected);
        }
    }

    void overlongLineIsAnError()
    {
        LineReader reader(4);
        QByteArray line;
        reader.append("abcde", 5);
        QCOMPARE(reader.next(&line), LineReader::Result::Error);
        QVERIFY(reader.errorString().contains(QLatin1String("limit of 4 bytes")));
    }
};

QTEST_MAIN(TestLineReader)
#include "tst_linereader.moc"
