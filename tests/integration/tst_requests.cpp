// Request/reply: requests both ways, replies matched by id and never taken
// for ordinary messages, every request ending exactly once (reply, error
// reply, timeout, the connection giving up, close()), wires that cannot
// carry a reply refusing at once; and typed payloads (CBOR) read back with
// clear errors, also by Python.
#include "cuttingproxy.h"
#include "echo.h"
#include "testnames.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QCborArray>
#include <QCborMap>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTimer>
#include <QtTest>

using namespace std::chrono_literals;
using ipc::Error;
using ipc::Message;
using ipc::Reply;

namespace {

constexpr qint32 Add = 1; // data "a+b": the answer is the sum
constexpr qint32 Sum = 2; // the reply type
constexpr qint32 Tick = 3; // what the server broadcasts meanwhile
constexpr qint32 BadInput = 42; // replyError code

// A calculator: answers Add requests, refuses what it cannot parse, and
// ignores everything else.
void answerAdditions(ipc::Server &server)
{
    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&server](const Message &m) {
        if (!m.isRequest() || m.type != Add)
            return;
        const QList<QByteArray> terms = m.data.split('+');
        bool ok1 = false;
        bool ok2 = false;
        const qint64 sum
            = terms.size() == 2 ? terms.at(0).toLongLong(&ok1) + terms.at(1).toLongLong(&ok2) : 0;
        if (ok1 && ok2)
            server.reply(m, Sum, QByteArray::number(sum));
        else
            server.replyError(
                m, BadInput, QStringLiteral("cannot add \"%1\"").arg(QString::fromUtf8(m.data)));
    });
}

// For the compile-time check that &Client::write still names one slot.
class Source : public QObject
{
    Q_OBJECT
Q_SIGNALS:
    void out(qint32 type, const QByteArray &data);
};

// Debian's python3 with python3-cbor2 (scripts/setup.sh installs it).
QString pythonWithCbor()
{
    for (const QString &candidate : { QStringLiteral("/usr/bin/python3"),
             QStandardPaths::findExecutable(QStringLiteral("python3")) }) {
        if (!candidate.isEmpty() && QFileInfo::exists(candidate)
            && QProcess::execute(
                   candidate, { QStringLiteral("-c"), QStringLiteral("import cbor2") })
                == 0)
            return candidate;
    }
    return QString();
}

} // namespace

class TestRequests : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // While the server broadcasts a tick every 5 ms: call() returns the
    // reply, waitForMessage() the ticks, and messageReceived never sees a
    // reply.
    void replyIsNeverAnOrdinaryMessage()
    {
        const QString name = uniqueName("calc");
        ipc::Server server(name);
        answerAdditions(server);
        QVERIFY(server.listen());
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, &server, [&] { server.broadcast(Tick, "tick"); });
        ticker.start(5);
        ipc::Client client(name);
        QVERIFY(client.waitForConnected(10s));
        QList<qint32> ordinary;
        connect(&client, &ipc::Client::messageReceived, this,
            [&](const Message &m) { ordinary.append(m.type); });

        for (int i = 0; i < 20; ++i) {
            const Reply reply = client.call(Add, QByteArray::number(i) + "+1000", 10s);
            QVERIFY2(reply.isOk(), qPrintable(reply.errorString));
            QCOMPARE(reply.message.type, Sum);
            QCOMPARE(reply.message.data, QByteArray::number(i + 1000));
            QVERIFY(!reply.message.isRequest());
        }
        const Message next = client.waitForMessage(10s);
        QCOMPARE(next.type, Tick);
        QVERIFY(ordinary.contains(Tick));
        QVERIFY(!ordinary.contains(Sum));
        ticker.stop();
        QVERIFY(server.waitForDelivered(10s));
    }

    // call() is a blocking wait like the others: what the server sends
    // before its reply is kept, in order, for the next waitForMessage().
    void messagesDuringCallAreKept()
    {
        const QString name = uniqueName("calc");
        ipc::Server server(name);
        connect(&server, &ipc::Server::messageReceived, &server, [&](const Message &m) {
            if (!m.isRequest())
                return;
            for (int i = 0; i < 16; ++i)
                server.broadcast(Tick, QByteArray::number(i));
            server.reply(m, Sum, "done");
        });
        QVERIFY(server.listen());
        ipc::Client client(name);
        const Reply reply = client.call(Add, "1+1", 10s);
        QVERIFY2(reply.isOk(), qPrintable(reply.errorString));
        QCOMPARE(reply.message.data, QByteArray("done"));
        for (int i = 0; i < 16; ++i) {
            const Message tick = client.waitForMessage(10s);
            QCOMPARE(tick.type, Tick);
            QCOMPARE(tick.data, QByteArray::number(i));
        }
    }

    // Chained with then(context): each request's continuation gets its own
    // answer, in whatever order they finish.
    void requestsChainWithThen()
    {
        const QString name = uniqueName("then");
        ipc::Server server(name);
        answerAdditions(server);
        QVERIFY(server.listen());
        ipc::Client client(name); // requests written before connecting wait in the queue
        QMap<int, QByteArray> answers;
        for (int i = 0; i < 50; ++i) {
            client.request(Add, QByteArray::number(i) + "+" + QByteArray::number(i))
                .then(this, [&answers, i](const Reply &r) {
                    answers.insert(i, r.isOk() ? r.message.data : r.errorString.toUtf8());
                });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answers.size(), 50, 20000);
        for (int i = 0; i < 50; ++i)
            QCOMPARE(answers.value(i), QByteArray::number(2 * i));
        QVERIFY(server.waitForDelivered(10s));
    }

    void errorReply()
    {
        const QString name = uniqueName("error");
        ipc::Server server(name);
        answerAdditions(server);
        QVERIFY(server.listen());
        ipc::Client client(name);
        const Reply reply = client.call(Add, "two+three", 10s);
        QCOMPARE(reply.error, Error::RemoteError);
        QCOMPARE(reply.errorCode, BadInput);
        QCOMPARE(reply.errorString, QStringLiteral("cannot add \"two+three\""));
        QVERIFY(!reply.isOk());
        QVERIFY(server.waitForDelivered(10s));
    }

    // The server requests from one client; the client answers.
    void serverRequestsFromAClient()
    {
        const QString name = uniqueName("reverse");
        ipc::Server server(name);
        QVERIFY(server.listen());
        ipc::Client client(name);
        connect(&client, &ipc::Client::messageReceived, &client, [&](const Message &m) {
            if (m.isRequest() && m.data != "leave")
                client.reply(m, 7, "pong: " + m.data);
        });
        QVERIFY(client.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
        const quint64 id = server.clientIds().first();
        QFuture<Reply> future = server.request(id, 6, "are you there?");
        QTRY_VERIFY_WITH_TIMEOUT(future.isFinished(), 10000);
        const Reply reply = future.result();
        QVERIFY2(reply.isOk(), qPrintable(reply.errorString));
        QCOMPARE(reply.message.data, QByteArray("pong: are you there?"));
        QCOMPARE(reply.message.clientId, id);
        // And a client that leaves with a request unanswered ends it.
        connect(&client, &ipc::Client::messageReceived, &client, [&](const Message &m) {
            if (m.isRequest() && m.data == "leave")
                client.disconnectFromServer();
        });
        QFuture<Reply> unanswered = server.request(id, 8, "leave");
        QTRY_VERIFY_WITH_TIMEOUT(unanswered.isFinished(), 20000);
        QCOMPARE(unanswered.result().error, Error::ConnectionLost);
        QVERIFY(
            unanswered.result().errorString.contains(QLatin1String("went away before answering")));
    }

    // No answer: the request ends with Timeout, counted from the call; a
    // reply that comes later is dropped, not taken for a message.
    void timeoutAndLateReply()
    {
        const QString name = uniqueName("late");
        ipc::Server server(name);
        QList<Message> held;
        connect(&server, &ipc::Server::messageReceived, this,
            [&](const Message &m) { held.append(m); });
        QVERIFY(server.listen());
        ipc::Client client(name);
        QSignalSpy ordinary(&client, &ipc::Client::messageReceived);
        const Reply reply = client.call(Add, "1+1", 300ms);
        QCOMPARE(reply.error, Error::Timeout);
        QVERIFY2(reply.errorString.contains(QLatin1String("no reply within 300 ms")),
            qPrintable(reply.errorString));
        QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, 10000);
        QVERIFY(held.first().isRequest());
        QVERIFY(server.reply(held.first(), Sum, "2")); // too late
        QVERIFY(client.write(9, "after"));
        QVERIFY(server.waitForMessage(10s).data == "after"); // the late reply has arrived by now
        QVERIFY(server.waitForDelivered(10s));
        QCOMPARE(ordinary.count(), 0);
    }

    // A request written while no server exists waits in the queue; its
    // timeout counts from the write.
    void requestWaitsForTheServer()
    {
        const QString name = uniqueName("later");
        ipc::ClientConfig config;
        config.retryTimer = ipc::RetryTimer::fixed(20ms);
        ipc::Client client(name, config);
        QFuture<Reply> early = client.request(Add, "20+22", 20s);
        QFuture<Reply> impatient = client.request(Add, "1+2", 200ms);
        QTRY_VERIFY_WITH_TIMEOUT(impatient.isFinished(), 10000);
        QCOMPARE(impatient.result().error, Error::Timeout);
        QVERIFY(!early.isFinished());
        ipc::Server server(name);
        answerAdditions(server);
        QVERIFY(server.listen());
        QTRY_VERIFY_WITH_TIMEOUT(early.isFinished(), 20000);
        QVERIFY2(early.result().isOk(), qPrintable(early.result().errorString));
        QCOMPARE(early.result().message.data, QByteArray("42"));
        QVERIFY(server.waitForDelivered(10s));
    }

    // A request that times out while still queued is withdrawn: the server
    // never sees it. One that was delivered stays delivered.
    void timedOutQueuedRequestIsWithdrawn()
    {
        const QString name = uniqueName("withdraw");
        ipc::ClientConfig config;
        config.retryTimer = ipc::RetryTimer::fixed(20ms);
        ipc::Client client(name, config);
        QFuture<Reply> expired = client.request(Add, "1+1", 100ms);
        QTRY_VERIFY_WITH_TIMEOUT(expired.isFinished(), 10000);
        QCOMPARE(expired.result().error, Error::Timeout);
        QCOMPARE(client.unconfirmedMessageCount(), 0);
        ipc::Server server(name);
        QList<Message> seen;
        connect(&server, &ipc::Server::messageReceived, this, [&](const Message &m) { seen.append(m); });
        QVERIFY(server.listen());
        QVERIFY(client.write(9, "marker"));
        QTRY_COMPARE_WITH_TIMEOUT(seen.size(), 1, 10000);
        QCOMPARE(seen.first().data, QByteArray("marker"));
        QVERIFY(client.waitForDelivered(10s));
    }

    // disconnectFromServer() waits for the replies to open requests, then
    // says goodbye. A client destroyed with a request open ends it while it
    // still exists: a continuation whose context is that client runs once,
    // with NotConnected.
    void disconnectWaitsForRepliesAndDestructionEndsRequests()
    {
        const QString name = uniqueName("graceful");
        ipc::Server server(name);
        QList<Message> held;
        connect(&server, &ipc::Server::messageReceived, this, [&](const Message &m) { held.append(m); });
        QVERIFY(server.listen());
        ipc::Client client(name);
        QFuture<Reply> answered = client.request(Add, "1+2", 0ms);
        QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, 10000);
        QVERIFY(client.waitForDelivered(10s));
        client.disconnectFromServer();
        QVERIFY(server.reply(held.first(), Sum, "3"));
        QVERIFY(client.waitForDisconnected(10s));
        QVERIFY(answered.isFinished());
        QVERIFY2(answered.result().isOk(), qPrintable(answered.result().errorString));

        int called = 0;
        Error seen = Error::NoError;
        QFuture<Reply> abandoned;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("destroyed with 1 unconfirmed message")));
        {
            auto doomed = std::make_unique<ipc::Client>(name);
            abandoned = doomed->request(Add, "4+4", 0ms);
            abandoned.then(doomed.get(), [&](const Reply &r) {
                ++called;
                seen = r.error;
            });
        }
        // Ended canceled inside the destructor: the continuation never runs
        // on a half-destroyed client, and the result still says why.
        QVERIFY(abandoned.isFinished());
        QVERIFY(abandoned.isCanceled());
        QCOMPARE(abandoned.result().error, Error::NotConnected);
        QVERIFY(abandoned.result().errorString.contains(QLatin1String("destroyed")));
        QCoreApplication::processEvents();
        QCOMPARE(called, 0);
        QCOMPARE(seen, Error::NoError);
    }

    // A worker pool's shape: continuations on the server use locals declared
    // after it. ~Server must not run them (they would touch destroyed
    // locals: ASan's stack-use-after-scope in the sanitizer run).
    void destroyedServerRunsNoContinuation()
    {
        const QString name = uniqueName("pool");
        QFuture<void> tail;
        QFuture<Reply> pending;
        {
            ipc::Server server(name);
            QVERIFY(server.listen());
            ipc::Client worker(name);
            QVERIFY(worker.waitForConnected(10s));
            QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
            // Declared after the server, so destroyed before it; on the heap,
            // so that ASan names a continuation that touches it.
            auto results = std::make_unique<QStringList>();
            pending = server.request(server.clientIds().first(), Add, "2+2", 0ms);
            tail = pending.then(&server, [list = results.get()](const Reply &r) { list->append(r.errorString); });
            QVERIFY(!pending.isFinished());
        }
        QVERIFY(pending.isFinished());
        QVERIFY(pending.isCanceled());
        QCOMPARE(pending.result().error, Error::NotConnected);
        QCoreApplication::processEvents();
        QVERIFY(tail.isCanceled());
    }

    // close() ends every open request; so does a server that says goodbye
    // with requests it received and never answered.
    void closeAndGoodbyeEndRequests()
    {
        const QString name = uniqueName("close");
        auto server = std::make_unique<ipc::Server>(name);
        QSignalSpy received(server.get(), &ipc::Server::messageReceived);
        QVERIFY(server->listen());
        ipc::Client client(name);
        QFuture<Reply> delivered
            = client.request(Add, "1+1", 0ms); // no limit: only the goodbye ends it
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 10000);
        QVERIFY(client.waitForDelivered(10s));
        server->close();
        QTRY_VERIFY_WITH_TIMEOUT(delivered.isFinished(), 10000);
        QCOMPARE(delivered.result().error, Error::ConnectionLost);
        QVERIFY2(delivered.result().errorString.contains(
                     QLatin1String("closed the connection before answering")),
            qPrintable(delivered.result().errorString));

        QFuture<Reply> pending = client.request(Add, "2+2", 0ms); // queued: the server is gone
        QVERIFY(!pending.isFinished());
        client.close();
        QVERIFY(pending.isFinished());
        QCOMPARE(pending.result().error, Error::NotConnected);
        QVERIFY(pending.result().errorString.contains(QLatin1String("closed")));
    }

    // The network fails three times while 300 requests are in flight both
    // ways of the exchange: requests and replies are re-sent with their
    // tags on the resumed connection, and every request ends once, with
    // its own answer.
    void requestsSurviveCutConnections()
    {
        ipc::Server server(QStringLiteral("tcp://127.0.0.1:0"));
        answerAdditions(server);
        QVERIFY(server.listen());
        CuttingProxy proxy(quint16(server.listeningAddress().section(QLatin1Char(':'), -1).toUInt()));
        QVERIFY(proxy.listen());
        ipc::ClientConfig config;
        config.retryTimer = ipc::RetryTimer::fixed(20ms);
        ipc::Client client(QStringLiteral("tcp://127.0.0.1:%1").arg(proxy.port()), config);
        QVERIFY(client.waitForConnected(10s));
        constexpr int Total = 300;
        int unconfirmedAtCuts = 0; // requests the cuts caught on their way
        QMap<int, Reply> answers;
        int next = 0;
        const auto ask = [&](int count) {
            for (int i = 0; i < count && next < Total; ++i, ++next) {
                const int n = next;
                client.request(Add, QByteArray::number(n) + "+1", 60s).then(this, [&answers, n](const Reply &r) {
                    QVERIFY2(!answers.contains(n), "a request ended twice");
                    answers.insert(n, r);
                });
            }
        };
        for (int cut = 0; cut < 3; ++cut) {
            ask(Total / 4);
            unconfirmedAtCuts += client.unconfirmedMessageCount();
            const int before = proxy.connections();
            proxy.cut();
            QTRY_VERIFY_WITH_TIMEOUT(proxy.connections() > before, 30000); // the client came back
        }
        ask(Total);
        QTRY_COMPARE_WITH_TIMEOUT(answers.size(), Total, 60000);
        for (int n = 0; n < Total; ++n) {
            QVERIFY2(answers.value(n).isOk(), qPrintable(answers.value(n).errorString));
            QCOMPARE(answers.value(n).message.data, QByteArray::number(n + 1));
        }
        QVERIFY(server.waitForDelivered(30s));
        QVERIFY(unconfirmedAtCuts > 0);
        qInfo("%d connections, %d requests unconfirmed when the connection was cut", proxy.connections(),
              unconfirmedAtCuts);
    }

    // Only the client asked may answer: another client's reply with the
    // same id (forged or mistaken) does not end the request.
    void onlyTheClientAskedMayAnswer()
    {
        const QString name = uniqueName("forged");
        ipc::Server server(name);
        QVERIFY(server.listen());
        ipc::Client asked(name);
        QList<Message> received;
        connect(&asked, &ipc::Client::messageReceived, this, [&](const Message &m) { received.append(m); });
        QVERIFY(asked.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
        const quint64 askedId = server.clientIds().first();
        ipc::Client other(name);
        QVERIFY(other.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 2, 10000);
        QFuture<Reply> future = server.request(askedId, 1, "what is your name?", 0ms);
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 10000);
        QVERIFY(other.reply(received.first(), 2, "forged")); // the same request id, from the wrong client
        QVERIFY(other.waitForDelivered(10s));
        QVERIFY(!future.isFinished());
        QVERIFY(asked.reply(received.first(), 2, "the real answer"));
        QTRY_VERIFY_WITH_TIMEOUT(future.isFinished(), 10000);
        QCOMPARE(future.result().message.data, QByteArray("the real answer"));
        QCOMPARE(future.result().message.clientId, askedId);
        QVERIFY(asked.waitForDelivered(10s));
    }

    // A reply written while the client's connection is broken (it resumes
    // soon) waits for it and arrives after the resume.
    void replyWhileTheClientIsAway()
    {
        ipc::Server server(QStringLiteral("tcp://127.0.0.1:0"));
        QList<Message> held;
        connect(&server, &ipc::Server::messageReceived, this, [&](const Message &m) { held.append(m); });
        QVERIFY(server.listen());
        CuttingProxy proxy(quint16(server.listeningAddress().section(QLatin1Char(':'), -1).toUInt()));
        QVERIFY(proxy.listen());
        ipc::ClientConfig config;
        config.retryTimer = ipc::RetryTimer::fixed(200ms);
        ipc::Client client(QStringLiteral("tcp://127.0.0.1:%1").arg(proxy.port()), config);
        QVERIFY(client.waitForConnected(10s));
        QFuture<Reply> future = client.request(Add, "1+1", 0ms);
        QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, 10000);
        QVERIFY(client.waitForDelivered(10s));
        bool replied = false;
        connect(&server, &ipc::Server::clientDisconnected, this,
                [&] { replied = server.reply(held.first(), Sum, "2"); });
        proxy.cut();
        QTRY_VERIFY_WITH_TIMEOUT(future.isFinished(), 20000);
        QVERIFY(replied);
        QVERIFY2(future.result().isOk(), qPrintable(future.result().errorString));
        QCOMPARE(future.result().message.data, QByteArray("2"));
        QVERIFY(server.waitForDelivered(10s));
    }

    // A new server process does not get answers meant for the old one: a
    // reply the client's application writes after the restart to the old
    // server's request matches nothing on the new server.
    void answersToARestartedServerAreNotMistaken()
    {
        const QString name = uniqueName("restart");
        auto first = std::make_unique<ipc::Server>(name);
        QVERIFY(first->listen());
        ipc::ClientConfig config;
        config.retryTimer = ipc::RetryTimer::fixed(20ms);
        ipc::Client client(name, config);
        QList<Message> held;
        connect(&client, &ipc::Client::messageReceived, this, [&](const Message &m) {
            if (m.isRequest())
                held.append(m);
        });
        QVERIFY(client.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(first->clientCount(), 1, 10000);
        QFuture<Reply> old = first->request(first->clientIds().first(), 1, "old question", 0ms);
        QTRY_COMPARE_WITH_TIMEOUT(held.size(), 1, 10000);
        QVERIFY(first->waitForDelivered(10s));
        first.reset(); // its request ends with it
        QVERIFY(old.isFinished());
        QCOMPARE(old.result().error, Error::NotConnected);
        ipc::Server second(name);
        QFuture<Reply> fresh;
        connect(&second, &ipc::Server::clientConnected, this,
                [&](quint64 id) { fresh = second.request(id, 1, "new question", 2s); });
        QVERIFY(second.listen());
        QTRY_VERIFY_WITH_TIMEOUT(fresh.isValid() && client.status() == ipc::Status::Connected, 10000);
        QVERIFY(client.reply(held.first(), 2, "answer to the old question"));
        QTRY_VERIFY_WITH_TIMEOUT(fresh.isFinished(), 10000);
        QCOMPARE(fresh.result().error, Error::Timeout); // never the old answer
    }

    // A server's queued request that turns out too large for its client is
    // refused: the request ends, only that message is reported dropped and
    // handed back, and the message ahead of it is still delivered.
    void refusedQueuedRequestOfTheServer()
    {
        const QString name = uniqueName("refused");
        ipc::ServerConfig serverConfig;
        serverConfig.sendWindow.messages = 1; // the second message waits in the queue
        ipc::Server server(name, serverConfig);
        QSignalSpy dropped(&server, &ipc::Server::clientMessagesDropped);
        QVERIFY(server.listen());
        ipc::ClientConfig config;
        config.maxMessageSize = 1024;
        ipc::Client client(name, config);
        QSignalSpy received(&client, &ipc::Client::messageReceived);
        QVERIFY(client.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
        const quint64 id = server.clientIds().first();
        QVERIFY(server.write(id, 1, "fills the window"));
        QFuture<Reply> future = server.request(id, 1, QByteArray(4096, 'x'), 0ms);
        QTRY_VERIFY_WITH_TIMEOUT(future.isFinished(), 10000);
        QCOMPARE(future.result().error, Error::MessageTooLarge);
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 10000);
        QCOMPARE(received.at(0).at(0).value<Message>().data, QByteArray("fills the window"));
        QVERIFY(server.waitForDelivered(10s));
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(dropped.at(0).at(1).toInt(), 1);
        const QList<Message> back = server.takeUndeliveredMessages(id);
        QCOMPARE(back.size(), 1);
        QCOMPARE(back.first().data.size(), 4096);
        QCOMPARE(client.status(), ipc::Status::Connected);
    }

    // golang-ipc v2 and the line wire cannot carry a reply: refused at once.
    void wiresWithoutReplies_data()
    {
        QTest::addColumn<int>("protocol");
        QTest::newRow("golang-ipc v2") << int(ipc::Protocol::GolangIpcV2);
        QTest::newRow("line") << int(ipc::Protocol::Line);
    }

    void wiresWithoutReplies()
    {
        QFETCH(int, protocol);
        ipc::ClientConfig config;
        config.protocol = ipc::Protocol(protocol);
        ipc::Client client(uniqueName("wire"), config);
        QFuture<Reply> future = client.request(Add, "1+1");
        QVERIFY(future.isFinished());
        QCOMPARE(future.result().error, Error::ProtocolMismatch);
        QVERIFY(future.result().errorString.contains(QLatin1String("cannot carry a reply")));
    }

    // A native client that finds a golang-ipc v2 server: the queued request
    // is refused once the wire is known, and reported.
    void nativeClientMeetsGolangServer()
    {
        const QString name = uniqueName("v2");
        ipc::ServerConfig serverConfig;
        serverConfig.protocol = ipc::Protocol::GolangIpcV2;
        ipc::Server server(name, serverConfig);
        QVERIFY(server.listen());
        ipc::Client client(name);
        QFuture<Reply> queued = client.request(Add, "1+1", 0ms);
        QTRY_VERIFY_WITH_TIMEOUT(queued.isFinished(), 10000);
        QCOMPARE(queued.result().error, Error::ProtocolMismatch);
        QFuture<Reply> later = client.request(Add, "1+1");
        QVERIFY(later.isFinished());
        QCOMPARE(later.result().error, Error::ProtocolMismatch);
    }

    void replyToAMessageThatIsNotARequest()
    {
        const QString name = uniqueName("notreq");
        ipc::Server server(name);
        QVERIFY(server.listen());
        ipc::Client client(name);
        QVERIFY(client.write(1, "plain"));
        const Message plain = server.waitForMessage(10s);
        QVERIFY(!plain.isRequest());
        QSignalSpy errors(&server, &ipc::Server::clientErrorOccurred);
        QVERIFY(!server.reply(plain, 2, "answer"));
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(1).value<Error>(), Error::InvalidMessageType);
        QVERIFY(errors.at(0).at(2).toString().contains(QLatin1String("not a request")));
        QVERIFY(!client.reply(Message { 1, "x", 0 }, 2, "y"));
        QCOMPARE(client.error(), Error::InvalidMessageType);
        QVERIFY(client.waitForDelivered(10s));
    }

    // Typed payloads travel as CBOR and read back as CBOR, JSON or a
    // QVariantMap; &Client::write still names a single slot.
    void typedPayloads()
    {
        const QString name = uniqueName("cbor");
        ipc::Server server(name);
        QVERIFY(server.listen());
        connect(&server, &ipc::Server::messageReceived, &server, [&](const Message &m) {
            if (m.isRequest())
                server.reply(m, 5, QVariantMap { { QStringLiteral("echo"), m.toVariantMap() } });
        });
        ipc::Client client(name);
        Source source;
        connect(&source, &Source::out, &client, &ipc::Client::write);
        Q_EMIT source.out(4, "raw bytes");
        QCOMPARE(server.waitForMessage(10s).data, QByteArray("raw bytes"));

        const QCborMap map { { QStringLiteral("name"), QStringLiteral("pump") },
            { QStringLiteral("rpm"), 1450 }, { QStringLiteral("ok"), true } };
        QVERIFY(client.writeCbor(4, map));
        Message got = server.waitForMessage(10s);
        QString error;
        QCOMPARE(got.toCbor(&error), QCborValue(map));
        QVERIFY(error.isEmpty());
        QCOMPARE(got.toVariantMap().value(QStringLiteral("rpm")).toInt(), 1450);
        QCOMPARE(
            got.toJson().object().value(QStringLiteral("name")).toString(), QStringLiteral("pump"));

        QVERIFY(client.writeCbor(4, QJsonDocument(QJsonArray { 1, 2, 3 })));
        got = server.waitForMessage(10s);
        QCOMPARE(got.toJson().array(), (QJsonArray { 1, 2, 3 }));
        QVERIFY(got.toVariantMap(&error).isEmpty());
        QVERIFY2(error.contains(QLatin1String("not a map")), qPrintable(error));

        const Reply reply = client.call(4, QVariantMap { { QStringLiteral("x"), 1 } });
        QVERIFY2(reply.isOk(), qPrintable(reply.errorString));
        QCOMPARE(reply.message.toVariantMap()
                     .value(QStringLiteral("echo"))
                     .toMap()
                     .value(QStringLiteral("x"))
                     .toInt(),
            1);

        // The server's typed request, as the guide shows it.
        connect(&client, &ipc::Client::messageReceived, &client, [&](const Message &m) {
            if (m.isRequest())
                client.reply(m, 6, QVariantMap { { QStringLiteral("offset"), m.toVariantMap().value(QStringLiteral("offset")).toDouble() * 2 } });
        });
        QFuture<Reply> asked = server.request(got.clientId, 6, QVariantMap { { QStringLiteral("offset"), 0.5 } });
        QTRY_VERIFY_WITH_TIMEOUT(asked.isFinished(), 10000);
        QVERIFY2(asked.result().isOk(), qPrintable(asked.result().errorString));
        QCOMPARE(asked.result().message.toVariantMap().value(QStringLiteral("offset")).toDouble(), 1.0);
        QVERIFY(server.waitForDelivered(10s));
    }

    void malformedCborIsAClearError_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QString>("reason");
        QTest::newRow("truncated map") << QByteArray("\xa2\x61x", 3) << "not valid CBOR";
        QTest::newRow("bytes after the item")
            << QByteArray("\x01\x02", 2) << "1 byte(s) after its CBOR item";
        QTest::newRow("empty") << QByteArray() << "not valid CBOR";
    }

    void malformedCborIsAClearError()
    {
        QFETCH(QByteArray, data);
        QFETCH(QString, reason);
        const Message message { 1, data, 0 };
        QString error;
        QVERIFY(message.toCbor(&error).isInvalid());
        QVERIFY2(error.contains(reason), qPrintable(error));
        QVERIFY(message.toJson(&error).isNull());
        QVERIFY(!error.isEmpty());
        QVERIFY(message.toVariantMap(&error).isEmpty());
        QVERIFY(!error.isEmpty());
    }

    // What libipc sends as CBOR, Python's cbor2 reads: the bytes a server
    // received from writeCbor() go to python3, which prints them as JSON.
    void pythonReadsTheCbor()
    {
        const QString python3 = pythonWithCbor();
        if (python3.isEmpty())
            QSKIP("python3 with cbor2 (Debian's python3-cbor2) is not installed; scripts/setup.sh "
                  "installs it");
        const QString name = uniqueName("python");
        ipc::Server server(name);
        QVERIFY(server.listen());
        ipc::Client client(name);
        const QCborMap map { { QStringLiteral("sensor"), QStringLiteral("t1") },
            { QStringLiteral("values"), QCborArray { 20.5, -3, 7 } },
            { QStringLiteral("raw"), QByteArray("\x00\xff", 2) } };
        QVERIFY(client.writeCbor(4, map));
        const Message got = server.waitForMessage(10s);
        QVERIFY(client.waitForDelivered(10s));
        QProcess python;
        python.start(python3,
            { QStringLiteral("-c"),
                QStringLiteral("import cbor2, json, sys\n"
                               "v = cbor2.loads(sys.stdin.buffer.read())\n"
                               "v['raw'] = v['raw'].hex()\n"
                               "print(json.dumps(v, sort_keys=True))") });
        QVERIFY(python.waitForStarted(10000));
        python.write(got.data);
        python.closeWriteChannel();
        QVERIFY(python.waitForFinished(30000));
        QCOMPARE(python.exitCode(), 0);
        QCOMPARE(python.readAllStandardOutput().trimmed(),
            QByteArray(R"({"raw": "00ff", "sensor": "t1", "values": [20.5, -3, 7]})"));
    }
};

QTEST_MAIN(TestRequests)
#include "tst_requests.moc"
