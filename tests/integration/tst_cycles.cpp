// 10,000 connect/disconnect cycles against one server: every file
// descriptor comes back and the resident memory returns to its level after
// a warm-up (golang-ipc leaks a handle per reconnect). Each client
// exchanges one message; half wait for their goodbye to complete, half are
// destroyed straight away (the goodbye leaves as the socket drains).
#include "echo.h"
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QDir>
#include <QFile>
#include <QtTest>

#include <unistd.h>

using namespace std::chrono_literals;

namespace {

int openFileDescriptors()
{
    return int(QDir(QStringLiteral("/proc/self/fd"))
                   .entryList(QDir::NoDotAndDotDot | QDir::System)
                   .size());
}

qint64 residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.value(1).toLongLong() * ::sysconf(_SC_PAGESIZE);
}

// Under AddressSanitizer freed memory sits in quarantine, so resident size
// says nothing about leaks there (LeakSanitizer judges them instead).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool residentSizeIsMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool residentSizeIsMeaningful = false;
#else
constexpr bool residentSizeIsMeaningful = true;
#endif
#else
constexpr bool residentSizeIsMeaningful = true;
#endif

int cycleCount()
{
    const int fromEnvironment = qEnvironmentVariableIntValue("IPC_TEST_CYCLES");
    return fromEnvironment > 0 ? fromEnvironment : 10000;
}

} // namespace

class TestCycles : public QObject
{
    Q_OBJECT

    // One client's life: connects, exchanges one message, leaves.
    bool cycle(const QString &address, bool encrypted, int index)
    {
        ipc::ClientConfig config;
        config.encryptionRequired = encrypted;
        ipc::Client client(address, config);
        if (!client.waitForConnected(10s)) {
            qWarning("cycle %d: %s", index, qPrintable(client.errorString()));
            return false;
        }
        client.write(1, QByteArray::number(index));
        if (client.waitForMessage(10s).data != QByteArray::number(index))
            return false;
        if (index % 2 == 0) {
            client.disconnectFromServer();
            if (!client.waitForDisconnected(10s))
                return false;
        }
        return true;
    }

private Q_SLOTS:
    void connectDisconnect_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<bool>("encrypted");
        QTest::newRow("local, encrypted") << uniqueName("cycles") << true;
        QTest::newRow("local, plain") << uniqueName("cycles") << false;
        QTest::newRow("tcp, encrypted") << QStringLiteral("tcp://127.0.0.1:0") << true;
    }

    void connectDisconnect()
    {
        QFETCH(QString, address);
        QFETCH(bool, encrypted);
        const int cycles = cycleCount();
        const int warmUp = qMax(1, cycles / 10);
        ipc::ServerConfig config;
        config.encryption = encrypted;
        ipc::Server server(address, config);
        echoEverything(server);
        QVERIFY(server.listen());
        const QString target = server.listeningAddress();
        // Counters, not QSignalSpy: a spy keeps every emission's arguments.
        int connected = 0;
        int disconnected = 0;
        connect(&server, &ipc::Server::clientConnected, this, [&] { ++connected; });
        connect(&server, &ipc::Server::clientDisconnected, this, [&] { ++disconnected; });

        for (int i = 0; i < warmUp; ++i)
            QVERIFY2(cycle(target, encrypted, i), qPrintable(QString::number(i)));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 0, 10000);
        const int fdsBefore = openFileDescriptors();
        const qint64 rssBefore = residentBytes();

        for (int i = warmUp; i < warmUp + cycles; ++i)
            QVERIFY2(cycle(target, encrypted, i), qPrintable(QString::number(i)));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 0, 10000);
        QCOMPARE(connected, warmUp + cycles);
        QTRY_COMPARE_WITH_TIMEOUT(disconnected, warmUp + cycles, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(openFileDescriptors(), fdsBefore, 10000);
        const qint64 rssAfter = residentBytes();
        qInfo("%d cycles: file descriptors %d -> %d, resident %.1f -> %.1f MiB", cycles, fdsBefore,
            openFileDescriptors(), rssBefore / 1048576.0, rssAfter / 1048576.0);
        // A leak of even 200 bytes a cycle would show as 2 MB over 10,000.
        if (residentSizeIsMeaningful)
            QVERIFY2(rssAfter - rssBefore < 2 * 1024 * 1024,
                qPrintable(QStringLiteral("grew by %1 bytes").arg(rssAfter - rssBefore)));
    }
};

QTEST_MAIN(TestCycles)
#include "tst_cycles.moc"
