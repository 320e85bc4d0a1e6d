// Delivery guarantees with real processes: a server killed with SIGKILL and
// restarted (at least once), connections cut by a TCP proxy while both
// processes live (exactly once, both ways), and a client process that
// returns from main() after disconnectFromServer() (everything arrives) or
// without it (a warning names the count).
#include "buildtransport.h"
#include "cuttingproxy.h"
#include "peerprocess.h"
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QRegularExpression>
#include <QtTest>

#include <memory>
#include <vector>

using namespace std::chrono_literals;
using namespace ipc;

namespace {

// Collects the numbers a sink helper prints, one per line, as they come:
// "N", or "C:N" for client C's N-th message.
struct SinkOutput
{
    QList<qint64> numbers;
    QHash<int, QList<qint64>> byClient;
    QByteArray partial;

    void readFrom(QProcess &process)
    {
        partial += process.readAllStandardOutput();
        qsizetype start = 0;
        for (qsizetype end; (end = partial.indexOf('\n', start)) >= 0; start = end + 1) {
            const QByteArray line = partial.mid(start, end - start);
            const qsizetype colon = line.indexOf(':');
            const qint64 number = line.mid(colon + 1).toLongLong();
            numbers.append(number);
            byClient[colon < 0 ? 0 : line.left(colon).toInt()].append(number);
        }
        partial.remove(0, start);
    }
};

// Whether numbers is from, from + 1, ..., to.
bool isRun(const QList<qint64> &numbers, qint64 from, qint64 to, QString *why)
{
    if (numbers.size() != to - from + 1) {
        *why = QStringLiteral("%1 numbers, expected %2").arg(numbers.size()).arg(to - from + 1);
        return false;
    }
    for (qsizetype i = 0; i < numbers.size(); ++i) {
        if (numbers.at(i) != from + i) {
            *why = QStringLiteral("position %1 holds %2, expected %3").arg(i).arg(numbers.at(i)).arg(from + i);
            return false;
        }
    }
    return true;
}

// Writes 1..total ("K:1".."K:total" with a key) as fast as the client's
// back-pressure allows.
class Producer : public QObject
{
public:
    Producer(Client *client, qint64 total, int key = -1)
        : m_client(client)
        , m_total(total)
        , m_prefix(key < 0 ? QByteArray() : QByteArray::number(key) + ':')
    {
        connect(client, &Client::writableChanged, this, [this](bool on) {
            if (on)
                produce();
        });
    }
    void produce()
    {
        while (m_next <= m_total && m_client->isWritable() && m_client->write(1, m_prefix + QByteArray::number(m_next))) {
            ++m_next;
            m_mostUnconfirmed = qMax(m_mostUnconfirmed, m_client->unconfirmedMessageCount());
        }
    }
    bool done() const { return m_next > m_total; }
    // What the client held at most: its memory bound.
    int mostUnconfirmed() const { return m_mostUnconfirmed; }

private:
    Client *m_client;
    qint64 m_total;
    QByteArray m_prefix;
    qint64 m_next = 1;
    int m_mostUnconfirmed = 0;
};

} // namespace

class TestDeliveryProcesses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A slow server killed with SIGKILL while numbered messages stream in
    // from one client (100,000) or ten (10,000 each), then restarted: every
    // client reconnects by itself, and every message arrives at least once,
    // in order per client; the duplicates (delivered by the first server,
    // never confirmed) are at most the send window.
    void serverKilledAndRestarted_data()
    {
        QTest::addColumn<int>("clients");
        QTest::addColumn<qint64>("perClient");
        QTest::newRow("1 client") << 1 << qint64(100000);
        QTest::newRow("10 clients") << 10 << qint64(10000);
    }

    void serverKilledAndRestarted()
    {
        QFETCH(int, clients);
        QFETCH(qint64, perClient);
        const QString name = uniqueName("sigkill");
        const QStringList sinkArguments{QStringLiteral("sink"), name, QStringLiteral("--delay-us"),
                                        QStringLiteral("20")};
        QProcess first;
        QVERIFY(!startPeerServer(first, sinkArguments).isEmpty());
        SinkOutput firstOutput;
        connect(&first, &QProcess::readyReadStandardOutput, this, [&] { firstOutput.readFrom(first); });

        ClientConfig config;
        config.retryTimer = RetryTimer::fixed(20ms);
        config.sendWindow.messages = 1024; // bounds the duplicates
        std::vector<std::unique_ptr<Client>> senders;
        std::vector<std::unique_ptr<Producer>> producers;
        std::vector<int> connections(size_t(clients), 0);
        int dropped = 0;
        for (int c = 0; c < clients; ++c) {
            senders.push_back(std::make_unique<Client>(name, config));
            Client *client = senders.back().get();
            producers.push_back(std::make_unique<Producer>(client, perClient, c));
            Producer *producer = producers.back().get();
            connect(client, &Client::connected, producer, [&connections, producer, c] {
                ++connections[size_t(c)];
                producer->produce();
            });
            connect(client, &Client::messagesDropped, this, [&](int count) { dropped += count; });
            producer->produce();
        }

        const qint64 total = clients * perClient;
        QTRY_VERIFY_WITH_TIMEOUT(firstOutput.numbers.size() >= total / 4, 120000);
        first.kill(); // SIGKILL, to the process this test started
        QVERIFY(waitForExit(first));
        firstOutput.readFrom(first); // what it printed before it died

        QProcess second;
        QVERIFY(!startPeerServer(second, sinkArguments).isEmpty());
        SinkOutput secondOutput;
        connect(&second, &QProcess::readyReadStandardOutput, this, [&] { secondOutput.readFrom(second); });
        const auto allDone = [&] {
            return std::all_of(producers.begin(), producers.end(), [](const auto &p) { return p->done(); });
        };
        QTRY_VERIFY_WITH_TIMEOUT(allDone(), 180000);
        for (const auto &client : senders)
            QVERIFY(client->waitForDelivered(180s));
        secondOutput.readFrom(second);
        stopPeer(second);

        qint64 duplicates = 0;
        for (int c = 0; c < clients; ++c) {
            QString why;
            const QList<qint64> before = firstOutput.byClient.value(c);
            const QList<qint64> after = secondOutput.byClient.value(c);
            const qint64 killedAt = before.size();
            QVERIFY2(isRun(before, 1, killedAt, &why), qPrintable(QStringLiteral("client %1, first: %2").arg(c).arg(why)));
            QVERIFY2(!after.isEmpty(), qPrintable(QStringLiteral("client %1 sent nothing to the second server").arg(c)));
            const qint64 resumedFrom = after.first();
            QVERIFY2(isRun(after, resumedFrom, perClient, &why),
                     qPrintable(QStringLiteral("client %1, second: %2").arg(c).arg(why)));
            QVERIFY(resumedFrom >= 1 && resumedFrom <= killedAt + 1); // none missing
            QVERIFY(killedAt + 1 - resumedFrom <= config.sendWindow.messages); // at most a whole window
            duplicates += killedAt + 1 - resumedFrom;
            QCOMPARE(connections[size_t(c)], 2); // reconnected by itself, once
            // The producer heeded writableChanged() against a slow consumer:
            // the client never held more than its window and queue.
            QVERIFY(producers[size_t(c)]->mostUnconfirmed() <= config.sendWindow.messages + config.writeQueueLimit);
        }
        QCOMPARE(dropped, 0);
        qInfo("%d client(s): first server delivered %lld, killed; second delivered %lld: %lld duplicate(s), 0 lost",
              clients, qint64(firstOutput.numbers.size()), qint64(secondOutput.numbers.size()), duplicates);
    }

    // Both processes live, the network between them fails three times:
    // every message arrives exactly once, in order, both ways (the server
    // echoes each one).
    void connectionsCutWhileBothLive()
    {
        constexpr qint64 total = 20000;
        QProcess server;
        const QString address = startPeerServer(
            server, {QStringLiteral("sink"), QStringLiteral("tcp://127.0.0.1:0"), QStringLiteral("--echo")});
        QVERIFY(!address.isEmpty());
        SinkOutput received;
        connect(&server, &QProcess::readyReadStandardOutput, this, [&] { received.readFrom(server); });
        CuttingProxy proxy(quint16(address.section(QLatin1Char(':'), -1).toUInt()));
        QVERIFY(proxy.listen());

        ClientConfig config;
        config.retryTimer = RetryTimer::fixed(20ms);
        Client client(QStringLiteral("tcp://127.0.0.1:%1").arg(proxy.port()), config);
        QList<qint64> echoes;
        connect(&client, &Client::messageReceived, this, [&](const Message &m) { echoes.append(m.data.toLongLong()); });
        QSignalSpy dropped(&client, &Client::messagesDropped);
        Producer producer(&client, total);
        connect(&client, &Client::connected, &producer, [&] { producer.produce(); });
        producer.produce();

        for (qint64 cutAt : {total / 5, total / 2, 4 * total / 5}) {
            QTRY_VERIFY_WITH_TIMEOUT(received.numbers.size() >= cutAt, 120000);
            const int before = proxy.connections();
            proxy.cut();
            QTRY_VERIFY_WITH_TIMEOUT(proxy.connections() > before, 30000); // the client came back
        }
        QTRY_VERIFY_WITH_TIMEOUT(producer.done(), 120000);
        QVERIFY(client.waitForDelivered(120s));
        QTRY_COMPARE_WITH_TIMEOUT(echoes.size(), total, 120000);
        received.readFrom(server);
        stopPeer(server);

        QString why;
        QVERIFY2(isRun(received.numbers, 1, total, &why), qPrintable(QStringLiteral("server: ") + why));
        QVERIFY2(isRun(echoes, 1, total, &why), qPrintable(QStringLiteral("client: ") + why));
        QCOMPARE(dropped.count(), 0);
        QVERIFY(proxy.connections() >= 4); // each cut forced a new connection
        qInfo("%lld messages each way over %d connections (3 cut): exactly once, in order", total,
              proxy.connections());
    }

    // 2,000 x 10 KB, then disconnectFromServer(), waitForDisconnected() and
    // return from main(): every message arrives. Without them, the
    // destructor's warning names how many were not confirmed.
    void clientProcessReturnsFromMain_data()
    {
        QTest::addColumn<bool>("graceful");
        QTest::newRow("disconnectFromServer") << true;
        QTest::newRow("destroyed at once") << false;
    }

    void clientProcessReturnsFromMain()
    {
        QFETCH(bool, graceful);
        constexpr int count = 2000;
        const QString name = uniqueName("burst");
        Server server(name);
        QVERIFY(server.listen());
        int got = 0;
        connect(&server, &Server::messageReceived, this, [&] { ++got; });
        QProcess client;
        QStringList arguments{QStringLiteral("burst"), name, QString::number(count), QStringLiteral("10240")};
        if (!graceful)
            arguments << QStringLiteral("--no-wait");
        client.start(peerPath(), arguments);
        QVERIFY(client.waitForStarted(10000));
        QVERIFY(waitForExit(client));
        const QByteArray out = client.readAllStandardOutput();
        const QString err = QString::fromUtf8(client.readAllStandardError());
        QCOMPARE(client.exitCode(), 0);
        if (graceful) {
            QVERIFY2(out.startsWith("ok sent 2000 dropped 0"), out.constData());
            QCOMPARE(got, count); // all confirmed before the process returned
            return;
        }
        const QRegularExpressionMatch warning =
            QRegularExpression(QStringLiteral("destroyed with (\\d+) unconfirmed message")).match(err);
        QVERIFY2(warning.hasMatch(), qPrintable(err));
        const int unconfirmed = warning.captured(1).toInt();
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 0, 30000);
        QVERIFY(unconfirmed > 0);
        QVERIFY(got + unconfirmed >= count); // every message arrived or was named
        qInfo("destroyed at once: %d arrived, the warning named %d unconfirmed", got, unconfirmed);
    }

    // A worker process killed while it holds a request: over a local socket
    // the kernel says its process has ended, so the request ends at once
    // (ConnectionLost) instead of after resumeTimeout; over TCP nobody can
    // tell, and the server waits for a resume as before.
    void killedWorkerEndsItsRequests_data()
    {
        QTest::addColumn<bool>("tcp");
        QTest::newRow("local") << false;
        QTest::newRow("tcp") << true;
    }

    void killedWorkerEndsItsRequests()
    {
        QFETCH(bool, tcp);
        if (!tcp && !hasLinuxTransport())
            QSKIP("the peer's pid comes from Linux's own transport; elsewhere the server waits resumeTimeout");
        ServerConfig config;
        config.resumeTimeout = tcp ? 1s : 10min; // a local worker's requests must not wait for this
        Server server(tcp ? QStringLiteral("tcp://127.0.0.1:0") : uniqueName("worker"), config);
        QVERIFY(server.listen());
        QProcess worker;
        worker.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        worker.start(peerPath(), {QStringLiteral("idle-client"), server.listeningAddress()});
        QVERIFY(worker.waitForStarted(10000));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 30000);
        QFuture<Reply> job = server.request(server.clientIds().first(), 1, "job", 0ms);
        QSignalSpy gone(&server, &Server::clientDisconnected);
        worker.kill(); // the process this test started
        QVERIFY(gone.wait(30000) || gone.count() > 0);
        if (tcp)
            QVERIFY(!job.isFinished()); // it may still come back
        QTRY_VERIFY_WITH_TIMEOUT(job.isFinished(), 30000);
        QCOMPARE(job.result().error, Error::ConnectionLost);
        QVERIFY(waitForExit(worker));
    }
};

QTEST_MAIN(TestDeliveryProcesses)
#include "tst_delivery_processes.moc"
