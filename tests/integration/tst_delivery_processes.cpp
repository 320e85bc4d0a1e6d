// Delivery guarantees with real processes: a server killed with SIGKILL and
// restarted (at least once), connections cut by a TCP proxy while both
// processes live (exactly once, both ways), and a client process that
// returns from main() after disconnectFromServer() (everything arrives) or
// without it (a warning names the count).
#include "peerprocess.h"
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

#include <memory>
#include <vector>

using namespace std::chrono_literals;
using namespace ipc;

namespace {

// Collects the numbers a sink helper prints, one per line, as they come.
struct SinkOutput
{
    QList<qint64> numbers;
    QByteArray partial;

    void readFrom(QProcess &process)
    {
        partial += process.readAllStandardOutput();
        qsizetype start = 0;
        for (qsizetype end; (end = partial.indexOf('\n', start)) >= 0; start = end + 1)
            numbers.append(partial.mid(start, end - start).toLongLong());
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

// Writes 1..total as fast as the client's back-pressure allows.
class Producer : public QObject
{
public:
    Producer(Client *client, qint64 total)
        : m_client(client)
        , m_total(total)
    {
        connect(client, &Client::writableChanged, this, [this](bool on) {
            if (on)
                produce();
        });
    }
    void produce()
    {
        while (m_next <= m_total && m_client->isWritable() && m_client->write(1, QByteArray::number(m_next))) {
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
    qint64 m_next = 1;
    int m_mostUnconfirmed = 0;
};

// A TCP proxy that can cut every connection through it, as a failing
// network would: both sides see their connection drop.
class CuttingProxy : public QObject
{
public:
    explicit CuttingProxy(quint16 upstreamPort)
        : m_upstreamPort(upstreamPort)
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] { accept(); });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    int connections() const { return m_accepted; }
    void cut()
    {
        for (auto &pair : m_pairs) {
            pair.first->abort();
            pair.second->abort();
        }
        m_pairs.clear();
    }

private:
    void accept()
    {
        while (QTcpSocket *downstream = m_server.nextPendingConnection()) {
            ++m_accepted;
            auto *upstream = new QTcpSocket(downstream);
            connect(downstream, &QTcpSocket::readyRead, upstream, [=] { upstream->write(downstream->readAll()); });
            connect(upstream, &QTcpSocket::readyRead, downstream, [=] { downstream->write(upstream->readAll()); });
            connect(upstream, &QTcpSocket::disconnected, downstream, &QTcpSocket::abort);
            connect(downstream, &QTcpSocket::disconnected, upstream, &QTcpSocket::abort);
            upstream->connectToHost(QHostAddress::LocalHost, m_upstreamPort);
            m_pairs.emplace_back(downstream, upstream);
        }
    }

    QTcpServer m_server;
    quint16 m_upstreamPort;
    int m_accepted = 0;
    std::vector<std::pair<QTcpSocket *, QTcpSocket *>> m_pairs;
};

} // namespace

class TestDeliveryProcesses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A slow server killed with SIGKILL while 100,000 numbered messages
    // stream in, then restarted: every message arrives at least once, in
    // order; the duplicates (delivered by the first, never confirmed) are
    // fewer than the send window.
    void serverKilledAndRestarted()
    {
        constexpr qint64 total = 100000;
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
        Client client(name, config);
        QSignalSpy dropped(&client, &Client::messagesDropped);
        Producer producer(&client, total);
        connect(&client, &Client::connected, &producer, [&] { producer.produce(); });
        producer.produce();

        QTRY_VERIFY_WITH_TIMEOUT(firstOutput.numbers.size() >= total / 4, 120000);
        first.kill(); // SIGKILL, to the process this test started
        QVERIFY(waitForExit(first));
        firstOutput.readFrom(first); // what it printed before it died

        QProcess second;
        QVERIFY(!startPeerServer(second, sinkArguments).isEmpty());
        SinkOutput secondOutput;
        connect(&second, &QProcess::readyReadStandardOutput, this, [&] { secondOutput.readFrom(second); });
        QTRY_VERIFY_WITH_TIMEOUT(producer.done(), 180000);
        QVERIFY(client.waitForDelivered(180s));
        secondOutput.readFrom(second);
        stopPeer(second);

        QString why;
        const qint64 killedAt = firstOutput.numbers.size();
        QVERIFY2(isRun(firstOutput.numbers, 1, killedAt, &why), qPrintable(QStringLiteral("first: ") + why));
        QVERIFY(!secondOutput.numbers.isEmpty());
        const qint64 resumedFrom = secondOutput.numbers.first();
        QVERIFY2(isRun(secondOutput.numbers, resumedFrom, total, &why), qPrintable(QStringLiteral("second: ") + why));
        QVERIFY(resumedFrom >= 1 && resumedFrom <= killedAt + 1); // none missing
        const qint64 duplicates = killedAt + 1 - resumedFrom;
        QVERIFY(duplicates < config.sendWindow.messages);
        QCOMPARE(dropped.count(), 0);
        // The producer heeded writableChanged() against a slow consumer: the
        // client never held more than its window and queue (and the server
        // never more than that window in its buffers).
        QVERIFY(producer.mostUnconfirmed() <= config.sendWindow.messages + config.writeQueueLimit);
        qInfo("first server delivered %lld, killed; second delivered %lld from %lld on: %lld duplicate(s), 0 lost; "
              "at most %d unconfirmed",
              killedAt, qint64(secondOutput.numbers.size()), resumedFrom, duplicates, producer.mostUnconfirmed());
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
};

QTEST_MAIN(TestDeliveryProcesses)
#include "tst_delivery_processes.moc"
