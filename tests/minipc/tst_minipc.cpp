// serve / eat / retry on both wires, Lua MinIPC peers, and secret-safe logging.
#include "testnames.h"

#include <ipc/log.h>
#include <ipc/minipc.h>

#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QThread>
#include <QtTest>

#include <stdexcept>

using namespace std::chrono_literals;
using ipc::EatTask;
using ipc::MinipcOptions;
using ipc::ServeTask;
using ipc::Protocol;

namespace {

MinipcOptions optionsFor(Protocol protocol)
{
    MinipcOptions options;
    options.protocol = protocol;
    options.timeout = 20s;
    return options;
}

void addWireRows()
{
    QTest::addColumn<Protocol>("wire");
    QTest::newRow("native") << Protocol::Native;
    QTest::newRow("line") << Protocol::Line;
}

// A port nothing listens on right now: bound, then released.
quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QString tcpAddress(quint16 port)
{
    return QStringLiteral("tcp://127.0.0.1:%1").arg(port);
}

QString lua()
{
    return QStandardPaths::findExecutable(QStringLiteral("lua5.4"));
}

const QString luaPeer = QStringLiteral(IPC_TEST_DATA_DIR "/../helpers/minipc_peer.lua");

} // namespace

class TestMinipc : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void serveThenEat_data() { addWireRows(); }

    void serveThenEat()
    {
        QFETCH(Protocol, wire);
        ServeTask serve(QStringLiteral("tcp://127.0.0.1:0"), "Hello, client!", 1, optionsFor(wire));
        QSignalSpy served(&serve, &ServeTask::finished);
        QVERIFY(serve.start());
        const ipc::MinipcResult eaten = ipc::eat(serve.listeningAddress(), {}, optionsFor(wire));
        QVERIFY2(eaten.ok, qPrintable(eaten.error));
        QCOMPARE(eaten.value, QByteArray("Hello, client!"));
        QTRY_VERIFY_WITH_TIMEOUT(serve.isFinished(), 20000);
        QVERIFY2(serve.result().ok, qPrintable(serve.result().error));
        QCOMPARE(serve.result().clients, 1);
    }

    void serveOverLocalSocket()
    {
        const QString name = uniqueName("minipc");
        ServeTask serve(name, "local too", 1, optionsFor(Protocol::Native));
        QVERIFY(serve.start());
        const ipc::MinipcResult eaten = ipc::eat(name, {}, optionsFor(Protocol::Native));
        QVERIFY2(eaten.ok, qPrintable(eaten.error));
        QCOMPARE(eaten.value, QByteArray("local too"));
    }

    void broadcastToThreeClients_data() { addWireRows(); }

    void broadcastToThreeClients()
    {
        QFETCH(Protocol, wire);
        ServeTask serve(QStringLiteral("tcp://127.0.0.1:0"), "Broadcast message", 3, optionsFor(wire));
        QSignalSpy arrivals(&serve, &ServeTask::clientArrived);
        QVERIFY(serve.start());
        std::vector<std::unique_ptr<EatTask>> eaters;
        for (int i = 0; i < 3; ++i) {
            eaters.push_back(std::make_unique<EatTask>(serve.listeningAddress(), optionsFor(wire)));
            eaters.back()->start();
        }
        for (auto &eater : eaters) {
            QTRY_VERIFY_WITH_TIMEOUT(eater->isFinished(), 20000);
            QVERIFY2(eater->result().ok, qPrintable(eater->result().error));
            QCOMPARE(eater->result().value, QByteArray("Broadcast message"));
        }
        QTRY_VERIFY_WITH_TIMEOUT(serve.isFinished(), 20000);
        QVERIFY(serve.result().ok);
        QCOMPARE(serve.result().clients, 3);
        QCOMPARE(arrivals.count(), 3);
    }

    // The README's custom callbacks: the server appends " processed", the
    // client's callback returns what it read plus " acknowledged".
    void customCallbacks_data() { addWireRows(); }

    void customCallbacks()
    {
        QFETCH(Protocol, wire);
        // The server runs in a worker thread, as a separate program would:
        // both sides' callbacks block in receive() without nesting.
        QThread worker;
        worker.start();
        auto *serve = new ServeTask(QStringLiteral("tcp://127.0.0.1:0"), "data", 2, optionsFor(wire));
        serve->moveToThread(&worker);
        QAtomicInt callbackClients = 0;
        serve->setCallback([&](const QList<ipc::Peer *> &clients, const QByteArray &message) {
            callbackClients = int(clients.size());
            for (ipc::Peer *client : clients)
                client->send(message + " processed");
        });
        QString address;
        QMetaObject::invokeMethod(serve, [&] {
            serve->start();
            address = serve->listeningAddress();
        }, Qt::BlockingQueuedConnection);
        QVERIFY(!address.isEmpty());
        std::vector<std::unique_ptr<EatTask>> eaters;
        for (int i = 0; i < 2; ++i) {
            eaters.push_back(std::make_unique<EatTask>(address, optionsFor(wire)));
            eaters.back()->setCallback([](ipc::Peer &server) {
                const QByteArray got = server.receive(10s);
                return got.isEmpty() ? server.errorString().toUtf8() : got + " acknowledged";
            });
            eaters.back()->start();
        }
        for (auto &eater : eaters) {
            QTRY_VERIFY_WITH_TIMEOUT(eater->isFinished(), 20000);
            QVERIFY2(eater->result().ok, qPrintable(eater->result().error));
            QCOMPARE(eater->result().value, QByteArray("data processed acknowledged"));
        }
        QTRY_COMPARE_WITH_TIMEOUT(int(callbackClients), 2, 10000);
        QMetaObject::invokeMethod(serve, [serve] { delete serve; }, Qt::BlockingQueuedConnection);
        worker.quit();
        worker.wait();
    }

    // MinIPC's pattern: eat is started before anything serves; retry's second
    // attempt finds the server.
    void eatBeforeServeSucceedsWithRetry_data() { addWireRows(); }

    void eatBeforeServeSucceedsWithRetry()
    {
        QFETCH(Protocol, wire);
        const QString address = tcpAddress(freePort());
        std::unique_ptr<ServeTask> serve;
        QString firstError;
        int calls = 0;
        const ipc::MinipcResult result = ipc::retry(
            [&] {
                const ipc::MinipcResult eaten = ipc::eat(address, {}, optionsFor(wire));
                if (++calls == 1) {
                    firstError = eaten.error;
                    serve = std::make_unique<ServeTask>(address, "late but here", 1, optionsFor(wire));
                    serve->start();
                }
                return eaten;
            },
            5, 50ms);
        QVERIFY2(result.ok, qPrintable(result.error));
        QCOMPARE(result.attempts, 2);
        QCOMPARE(result.value, QByteArray("late but here"));
        QVERIFY2(firstError.startsWith(QLatin1String("failed to connect: connection refused")),
                 qPrintable(firstError));
    }

    void retryReportsAttemptsAndLastCause()
    {
        int calls = 0;
        const ipc::MinipcResult failed = ipc::retry(
            [&] {
                ++calls;
                ipc::MinipcResult r;
                r.error = QStringLiteral("boom %1").arg(calls);
                return r;
            },
            3, 1ms);
        QVERIFY(!failed.ok);
        QCOMPARE(calls, 3);
        QCOMPARE(failed.attempts, 3);
        QCOMPARE(failed.error, QStringLiteral("task failed after 3 attempts; last error: boom 3"));

        // Any callable: exceptions and false results count as failures.
        int thrown = 0;
        const ipc::MinipcResult viaException = ipc::retry(
            [&]() -> bool {
                if (++thrown < 3)
                    throw std::runtime_error("not yet");
                return true;
            },
            4, 1ms);
        QVERIFY(viaException.ok);
        QCOMPARE(viaException.attempts, 3);
        const ipc::MinipcResult never = ipc::retry([] { return false; }, 2, 1ms);
        QVERIFY(!never.ok);
        QVERIFY(never.error.startsWith(QLatin1String("task failed after 2 attempts")));
    }

    void eatFailsFastWithCause_data() { addWireRows(); }

    void eatFailsFastWithCause()
    {
        QFETCH(Protocol, wire);
        const ipc::MinipcResult result = ipc::eat(tcpAddress(freePort()), {}, optionsFor(wire));
        QVERIFY(!result.ok);
        QVERIFY2(result.error.startsWith(QLatin1String("failed to connect: connection refused")),
                 qPrintable(result.error));
    }

    void portInUse_data() { addWireRows(); }

    void portInUse()
    {
        QFETCH(Protocol, wire);
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
        const ipc::MinipcResult result = ipc::serve(tcpAddress(holder.serverPort()), "x", 1, {},
                                                    optionsFor(wire));
        QVERIFY(!result.ok);
        QVERIFY2(result.error.startsWith(QLatin1String("failed to create server:"))
                     && result.error.contains(QLatin1String("in use")),
                 qPrintable(result.error));
    }

    void newlineRefusedInLineMode()
    {
        const ipc::MinipcResult result = ipc::serve(QStringLiteral("tcp://127.0.0.1:0"), "two\nlines",
                                                    1, {}, optionsFor(Protocol::Line));
        QVERIFY(!result.ok);
        QVERIFY2(result.error.contains(QLatin1String("newline")), qPrintable(result.error));
    }

    void serveTimesOutWithoutClients()
    {
        MinipcOptions options = optionsFor(Protocol::Line);
        options.timeout = 200ms;
        const ipc::MinipcResult result = ipc::serve(QStringLiteral("tcp://127.0.0.1:0"), "x", 2, {}, options);
        QVERIFY(!result.ok);
        QVERIFY2(result.error.contains(QLatin1String("0 of 2 clients")), qPrintable(result.error));
    }

    void luaServesQtEats()
    {
        if (lua().isEmpty())
            QSKIP("lua5.4 is not installed (scripts/setup.sh installs it)");
        QProcess peer;
        peer.start(lua(), {luaPeer, QStringLiteral("serve"), QStringLiteral("42:17:99"), QStringLiteral("2")});
        QVERIFY(peer.waitForStarted(10000));
        QSignalSpy output(&peer, &QProcess::readyReadStandardOutput);
        QTRY_VERIFY_WITH_TIMEOUT(peer.canReadLine(), 10000);
        const QByteArray line = peer.readLine().trimmed();
        QVERIFY2(line.startsWith("listening "), line.constData());
        const QString address = tcpAddress(quint16(line.mid(10).toUInt()));
        // MinIPC sends only once every client has arrived: both eat at once.
        EatTask first(address, optionsFor(Protocol::Line));
        EatTask second(address, optionsFor(Protocol::Line));
        first.start();
        second.start();
        QTRY_VERIFY_WITH_TIMEOUT(first.isFinished() && second.isFinished(), 20000);
        for (EatTask *eater : {&first, &second}) {
            QVERIFY2(eater->result().ok, qPrintable(eater->result().error));
            QCOMPARE(eater->result().value, QByteArray("42:17:99"));
        }
        QTRY_COMPARE_WITH_TIMEOUT(peer.state(), QProcess::NotRunning, 10000);
        QCOMPARE(peer.exitCode(), 0);
    }

    void qtServesLuaEats()
    {
        if (lua().isEmpty())
            QSKIP("lua5.4 is not installed (scripts/setup.sh installs it)");
        ServeTask serve(QStringLiteral("tcp://127.0.0.1:0"), "secret share 12345", 2, optionsFor(Protocol::Line));
        QVERIFY(serve.start());
        const QString port = serve.listeningAddress().section(QLatin1Char(':'), -1);
        std::vector<std::unique_ptr<QProcess>> eaters;
        for (int i = 0; i < 2; ++i) {
            eaters.push_back(std::make_unique<QProcess>());
            eaters.back()->start(lua(), {luaPeer, QStringLiteral("eat"), port});
        }
        QTRY_VERIFY_WITH_TIMEOUT(serve.isFinished(), 20000);
        QVERIFY2(serve.result().ok, qPrintable(serve.result().error));
        for (auto &eater : eaters) {
            QTRY_VERIFY_WITH_TIMEOUT(eater->state() == QProcess::NotRunning, 20000);
            QCOMPARE(eater->exitCode(), 0);
            QCOMPARE(eater->readAllStandardOutput().trimmed(), QByteArray("secret share 12345"));
        }
    }

    void logFormatAndSecrets_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("environment");
        QTest::addColumn<bool>("revealed");
        QTest::newRow("default") << QStringList{} << QString() << false;
        QTest::newRow("sec argument") << QStringList{QStringLiteral("sec")} << QString() << true;
        QTest::newRow("environment") << QStringList{} << QStringLiteral("1") << true;
    }

    void logFormatAndSecrets()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, environment);
        QFETCH(bool, revealed);
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("IPC_LOG_SECRETS"));
        if (!environment.isEmpty())
            env.insert(QStringLiteral("IPC_LOG_SECRETS"), environment);
        process.setProcessEnvironment(env);
        process.start(QStringLiteral(IPC_PEER_PATH), QStringList{QStringLiteral("log")} + arguments);
        QVERIFY(process.waitForFinished(10000));
        const QStringList lines = QString::fromUtf8(process.readAllStandardOutput()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 2);
        QVERIFY2(QRegularExpression(QStringLiteral("^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\]: plain message$"))
                     .match(lines.at(0)).hasMatch(), qPrintable(lines.at(0)));
        const QString secretLine = revealed ? QStringLiteral("the secret is 42") : QStringLiteral("<secret>");
        QVERIFY2(QRegularExpression(QStringLiteral("^\\{\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\}: ") + QRegularExpression::escape(secretLine) + QLatin1Char('$'))
                     .match(lines.at(1)).hasMatch(), qPrintable(lines.at(1)));
        // The secret text itself, not digits a timestamp may happen to contain.
        QCOMPARE(lines.at(1).endsWith(QLatin1String(": the secret is 42")), revealed);
    }

    void secretInDebugStreams()
    {
        ipc::setSecretLoggingEnabled(false);
        QString text;
        QDebug(&text) << "token" << ipc::Secret(QByteArray("hunter2"));
        QVERIFY(!text.contains(QLatin1String("hunter2")));
        QVERIFY(text.contains(ipc::redactionMarker()));
        ipc::setSecretLoggingEnabled(true);
        text.clear();
        QDebug(&text) << ipc::Secret(QStringLiteral("hunter2"));
        QVERIFY(text.contains(QLatin1String("hunter2")));
        ipc::setSecretLoggingEnabled(false);
    }
};

QTEST_MAIN(TestMinipc)
#include "tst_minipc.moc"
