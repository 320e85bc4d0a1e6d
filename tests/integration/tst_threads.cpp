// Writes from threads other than the object's: carried to its thread, every
// message delivered, each writing thread's order kept. Also run under
// ThreadSanitizer (scripts/tsan.sh).
#include "echo.h"
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QRegularExpression>
#include <QSignalSpy>
#include <QThread>
#include <QtEndian>
#include <QtTest>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace ipc;

namespace {

QByteArray numbered(quint32 writer, quint32 sequence)
{
    QByteArray data(8, Qt::Uninitialized);
    qToBigEndian<quint32>(writer, data.data());
    qToBigEndian<quint32>(sequence, data.data() + 4);
    return data;
}

// Checks that each writer's numbers arrive as 0, 1, 2, ... with no gap.
struct OrderCheck
{
    std::vector<quint32> next;
    int outOfOrder = 0;
    int total = 0;

    explicit OrderCheck(int writers)
        : next(size_t(writers), 0)
    {
    }
    void add(const QByteArray &data)
    {
        const quint32 writer = qFromBigEndian<quint32>(data.constData());
        const quint32 sequence = qFromBigEndian<quint32>(data.constData() + 4);
        if (writer >= next.size() || sequence != next[writer])
            ++outOfOrder;
        else
            ++next[writer];
        ++total;
    }
};

// Runs writes(writer) on `writers` plain threads at once and joins them.
template <typename Writes>
void onThreads(int writers, Writes writes)
{
    std::vector<std::thread> threads;
    for (int writer = 0; writer < writers; ++writer)
        threads.emplace_back([writer, &writes] { writes(writer); });
    for (std::thread &thread : threads)
        thread.join();
}

} // namespace

class TestThreads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // 4 threads write 100,000 messages in all to a Client that lives in a
    // worker thread; the server gets every one, each thread's in order.
    void clientWritesFromFourThreads()
    {
        constexpr int writers = 4;
        constexpr int perWriter = 25000;
        const QString name = uniqueName("threads");
        Server server(name);
        QVERIFY(server.listen());
        OrderCheck order(writers);
        connect(&server, &Server::messageReceived, &server, [&](const Message &m) { order.add(m.data); });

        // The Client is made, used and deleted in its own thread, which hands
        // its address over through a future: a hand-over ThreadSanitizer can
        // see (moveToThread() synchronises inside Qt, which it cannot).
        std::promise<Client *> made;
        std::atomic<bool> done{false};
        QThread *worker = QThread::create([&] {
            ClientConfig config;
            config.writeQueueLimit = writers * perWriter; // room for every message while it connects
            Client client(name, config);
            made.set_value(&client);
            while (!done.load())
                QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
            QCoreApplication::processEvents(); // the last writes
        });
        worker->start();
        Client *client = made.get_future().get();
        std::atomic<int> refused{0};
        onThreads(writers, [&](int writer) {
            for (int i = 0; i < perWriter; ++i) {
                if (!client->write(1, numbered(quint32(writer), quint32(i))))
                    ++refused; // not expected: the limit has room for all
            }
        });
        QCOMPARE(refused.load(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(order.total, writers * perWriter, 120000);
        QCOMPARE(order.outOfOrder, 0);
        done = true;
        QVERIFY(worker->wait(30000));
        delete worker;
    }

    // A Client written to from its first thread, then moved to a worker:
    // later writes from the first thread are carried over too (Qt warns
    // about socket notifiers touched from another thread otherwise).
    void writesFollowMoveToThread()
    {
        QTest::failOnWarning(QRegularExpression(QStringLiteral("another thread|different thread")));
        const QString name = uniqueName("moved");
        Server server(name);
        QVERIFY(server.listen());
        OrderCheck order(1);
        connect(&server, &Server::messageReceived, &server, [&](const Message &m) { order.add(m.data); });
        ClientConfig config;
        config.writeQueueLimit = 4096; // room for all 2,000 on their way
        auto *client = new Client(name, config);
        QVERIFY(client->waitForConnected(30s));
        QVERIFY(client->write(1, numbered(0, 0)));
        QThread worker;
        worker.start();
        client->moveToThread(&worker);
        for (quint32 i = 1; i < 2000; ++i)
            QVERIFY(client->write(1, numbered(0, i)));
        QTRY_COMPARE_WITH_TIMEOUT(order.total, 2000, 60000);
        QCOMPARE(order.outOfOrder, 0);
        QMetaObject::invokeMethod(client, [client] { delete client; }, Qt::BlockingQueuedConnection);
        worker.quit();
        worker.wait();
    }

    // A Client destroyed before its thread wrote what other threads handed
    // it says how many writes were dropped.
    void droppedForeignWritesAreCounted()
    {
        auto *client = new Client(uniqueName("dropped"));
        onThreads(1, [&](int) {
            for (int i = 0; i < 5; ++i)
                client->write(1, "never written");
        });
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^5 write\\(s\\) from other threads dropped")));
        delete client; // before this thread's event loop ran
    }

    // The Server's write() and broadcast() from other threads.
    void serverWritesFromOtherThreads()
    {
        constexpr int writers = 3;
        constexpr int perWriter = 5000;
        const QString name = uniqueName("serverthreads");
        ServerConfig config;
        config.writeQueueLimit = (writers + 1) * perWriter; // room for every message: order is the point here
        Server server(name, config);
        QVERIFY(server.listen());
        Client client(name);
        QVERIFY(client.waitForConnected(30s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 30000);
        const quint64 id = server.clientIds().first();
        OrderCheck order(writers + 1);
        connect(&client, &Client::messageReceived, &client, [&](const Message &m) { order.add(m.data); });
        std::atomic<int> miscounted{0};
        onThreads(writers + 1, [&](int writer) {
            for (int i = 0; i < perWriter; ++i) {
                if (writer == writers) // the last thread broadcasts, to the one client
                    miscounted += server.broadcast(2, numbered(quint32(writer), quint32(i))) != 1;
                else
                    server.write(id, 1, numbered(quint32(writer), quint32(i)));
            }
        });
        QTRY_COMPARE_WITH_TIMEOUT(order.total, (writers + 1) * perWriter, 120000);
        QCOMPARE(order.outOfOrder, 0);
        QCOMPARE(miscounted.load(), 0);
    }

    // request() from other threads, on both sides: each future ends with
    // its own answer, and the calling thread may wait on it.
    void requestsFromOtherThreads()
    {
        constexpr int askers = 3;
        constexpr int perAsker = 50;
        const QString name = uniqueName("requestthreads");
        Server server(name);
        connect(&server, &Server::messageReceived, &server, [&](const Message &m) {
            if (m.isRequest())
                server.reply(m, m.type, m.data + "!");
        });
        QVERIFY(server.listen());
        Client client(name);
        connect(&client, &Client::messageReceived, &client, [&](const Message &m) {
            if (m.isRequest())
                client.reply(m, m.type, m.data + "?");
        });
        QVERIFY(client.waitForConnected(30s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 30000);
        const quint64 id = server.clientIds().first();
        std::atomic<int> answered{0};
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int asker = 0; asker < askers; ++asker) {
            threads.emplace_back([&, asker] {
                for (int i = 0; i < perAsker; ++i) {
                    const QByteArray question = QByteArray::number(asker * 1000 + i);
                    QFuture<Reply> fromClient = client.request(1, question, 60s);
                    QFuture<Reply> fromServer = server.request(id, 2, question, 60s);
                    fromClient.waitForFinished();
                    fromServer.waitForFinished();
                    const bool right = fromClient.result().message.data == question + "!"
                        && fromServer.result().message.data == question + "?";
                    (right ? answered : wrong).fetch_add(1);
                }
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answered.load() + wrong.load(), askers * perAsker, 120000);
        for (std::thread &thread : threads)
            thread.join();
        QCOMPARE(wrong.load(), 0);
    }

    // Past the limit, writes from another thread are refused at once, and
    // one errorOccurred(WriteQueueFull) says so in the Client's thread.
    void foreignWritesAreBounded()
    {
        ClientConfig config;
        config.writeQueueLimit = 10;
        config.timeout = 60s;
        Client client(uniqueName("bounded"), config); // no server: everything waits
        QSignalSpy errors(&client, &Client::errorOccurred);
        int accepted = 0;
        int refused = 0;
        onThreads(1, [&](int) {
            for (int i = 0; i < 50; ++i)
                (client.write(1, "x") ? accepted : refused) += 1;
        });
        QCOMPARE(accepted, 10);
        QCOMPARE(refused, 40);
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), 10000);
        QCOMPARE(errors.first().at(0).value<Error>(), Error::WriteQueueFull);
        QTRY_COMPARE_WITH_TIMEOUT(client.queuedMessageCount(), 10, 10000);
    }
};

QTEST_MAIN(TestThreads)
#include "tst_threads.moc"
