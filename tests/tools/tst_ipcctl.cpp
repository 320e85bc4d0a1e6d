// ipcctl as a user runs it: a process against real servers, each command
// and each failure with its exit code and message.
#include "testnames.h"
#include "thermostat.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace std::chrono_literals;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs ipcctl to the end while this test's event loop serves it.
Run ipcctl(const QStringList &arguments, const QByteArray &input = {})
{
    QProcess process;
    process.start(QStringLiteral(IPCCTL_PATH), arguments);
    Run run;
    if (!process.waitForStarted(10000))
        return run;
    if (!input.isNull()) {
        process.write(input);
        process.closeWriteChannel();
    }
    QSignalSpy finished(&process, &QProcess::finished);
    if (process.state() != QProcess::NotRunning && !finished.wait(60000))
        process.kill(); // only the process this test started
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

} // namespace

class TestIpcctl : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sendDelivers()
    {
        const QString name = uniqueName("send");
        ipc::Server server(name);
        QVERIFY(server.listen());
        QList<ipc::Message> got;
        connect(&server, &ipc::Server::messageReceived, this,
            [&](const ipc::Message &m) { got.append(m); });
        Run run = ipcctl(
            { QStringLiteral("send"), name, QStringLiteral("7"), QStringLiteral("hello there") });
        QCOMPARE(run.exitCode, 0);
        run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("8"), QStringLiteral("-") },
            "from stdin\n");
        QCOMPARE(run.exitCode, 0);
        run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("9"), QStringLiteral("00ff10"),
            QStringLiteral("--hex") });
        QCOMPARE(run.exitCode, 0);
        QTRY_COMPARE_WITH_TIMEOUT(got.size(), 3, 10000); // already confirmed: ipcctl waited for it
        QCOMPARE(got.at(0).type, 7);
        QCOMPARE(got.at(0).data, QByteArray("hello there"));
        QCOMPARE(got.at(1).data, QByteArray("from stdin\n"));
        QCOMPARE(got.at(2).data, QByteArray::fromHex("00ff10"));
    }

    // --wait-reply sends a request: the reply is printed (a message the
    // server writes meanwhile is not); an error reply is exit code 4.
    void sendWaitsForTheReply()
    {
        const QString name = uniqueName("reply");
        ipc::Server server(name);
        QVERIFY(server.listen());
        connect(&server, &ipc::Server::messageReceived, this, [&](const ipc::Message &m) {
            server.write(m.clientId, 9, "noise");
            if (m.data == "question")
                server.reply(m, m.type + 1, "answer to " + m.data);
            else
                server.replyError(m, 42, QStringLiteral("no idea"));
        });
        Run run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"),
            QStringLiteral("question"), QStringLiteral("--wait-reply"), QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        const QJsonObject reply = QJsonDocument::fromJson(run.out.trimmed()).object();
        QCOMPARE(reply.value(QStringLiteral("type")).toInt(), 2);
        QCOMPARE(
            reply.value(QStringLiteral("text")).toString(), QStringLiteral("answer to question"));
        run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"), QStringLiteral("riddle"),
            QStringLiteral("--wait-reply") });
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("error reply (code 42): no idea"), run.err.constData());
    }

    // golang-ipc v2 has no replies: --wait-reply prints the first message back.
    void sendWaitsForAMessageOnAWireWithoutReplies()
    {
        const QString name = uniqueName("reply2");
        ipc::ServerConfig config;
        config.protocol = ipc::Protocol::GolangIpcV2;
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        connect(&server, &ipc::Server::messageReceived, this, [&](const ipc::Message &m) {
            server.write(m.clientId, m.type + 1, "answer to " + m.data);
        });
        const Run run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"),
            QStringLiteral("question"), QStringLiteral("--wait-reply"),
            QStringLiteral("--protocol"), QStringLiteral("golang-ipc-v2") });
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("answer to question"), run.out.constData());
    }

    void listenPrintsMessages()
    {
        const QString name = uniqueName("listen");
        QProcess listener;
        listener.start(QStringLiteral(IPCCTL_PATH),
            { QStringLiteral("listen"), name, QStringLiteral("--count"), QStringLiteral("2"),
                QStringLiteral("--json"), QStringLiteral("--echo") });
        QVERIFY(listener.waitForStarted(10000));
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT(
            (err += listener.readAllStandardError()).contains("listening on"), 10000);
        ipc::Client client(name);
        QVERIFY(client.waitForConnected(30s));
        QVERIFY(client.write(3, "one"));
        QVERIFY(client.write(4, QByteArray("\x01\x02", 2)));
        QCOMPARE(client.waitForMessage(30s).data, QByteArray("one")); // --echo
        QSignalSpy finished(&listener, &QProcess::finished);
        QVERIFY(listener.state() == QProcess::NotRunning || finished.wait(30000));
        QCOMPARE(listener.exitCode(), 0);
        const QList<QByteArray> lines = listener.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        const QJsonObject first = QJsonDocument::fromJson(lines.at(0)).object();
        QCOMPARE(first.value(QStringLiteral("type")).toInt(), 3);
        QCOMPARE(first.value(QStringLiteral("text")).toString(), QStringLiteral("one"));
        QCOMPARE(
            QJsonDocument::fromJson(lines.at(1)).object().value(QStringLiteral("hex")).toString(),
            QStringLiteral("0102"));
    }

    // watch stays connected and prints each message as it comes, on every
    // wire: text as text, binary bytes only as hex, a request tagged.
    void watchFollowsAStream_data()
    {
        QTest::addColumn<ipc::Protocol>("protocol");
        QTest::addColumn<QString>("wire");
        QTest::newRow("native") << ipc::Protocol::Native << QStringLiteral("native");
        QTest::newRow("golang-ipc-v2")
            << ipc::Protocol::GolangIpcV2 << QStringLiteral("golang-ipc-v2");
        QTest::newRow("line") << ipc::Protocol::Line << QStringLiteral("line");
    }

    void watchFollowsAStream()
    {
        QFETCH(ipc::Protocol, protocol);
        QFETCH(QString, wire);
        const QString name = uniqueName("watch");
        ipc::ServerConfig config;
        config.protocol = protocol;
        config.encryption = protocol != ipc::Protocol::Line;
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        QSignalSpy connected(&server, &ipc::Server::clientConnected);
        QProcess watcher;
        QStringList arguments { QStringLiteral("watch"), name, QStringLiteral("--json"),
            QStringLiteral("--count"), QStringLiteral("3"), QStringLiteral("--protocol"), wire };
        if (protocol == ipc::Protocol::Line)
            arguments << QStringLiteral("--plain");
        watcher.start(QStringLiteral(IPCCTL_PATH), arguments);
        QVERIFY(watcher.waitForStarted(10000));
        QVERIFY(connected.size() == 1 || connected.wait(30000));
        // CBOR {"seq": ...} cut short: no UTF-8 decoder may turn it into text.
        const QByteArray binary = QByteArray::fromHex("a163736571ff");
        const bool lineWire = protocol == ipc::Protocol::Line;
        QVERIFY(server.broadcast(5, "first reading") == 1);
        QVERIFY(server.broadcast(6, lineWire ? QByteArray("second") : binary) == 1);
        if (protocol == ipc::Protocol::Native)
            server.request(connected.first().first().toULongLong(), 7, "are you there", 30s);
        else
            server.broadcast(7, "third");
        QSignalSpy finished(&watcher, &QProcess::finished);
        QVERIFY(watcher.state() == QProcess::NotRunning || finished.wait(30000));
        QCOMPARE(watcher.exitCode(), 0);
        const QList<QByteArray> lines = watcher.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        const QJsonObject first = QJsonDocument::fromJson(lines.at(0)).object();
        QCOMPARE(first.value(QStringLiteral("text")).toString(), QStringLiteral("first reading"));
        QCOMPARE(first.value(QStringLiteral("size")).toInt(), 13);
        QCOMPARE(first.value(QStringLiteral("request")).toBool(), false);
        if (!lineWire) { // the line wire has no types
            QCOMPARE(first.value(QStringLiteral("type")).toInt(), 5);
            const QJsonObject second = QJsonDocument::fromJson(lines.at(1)).object();
            QCOMPARE(second.value(QStringLiteral("type")).toInt(), 6);
            QCOMPARE(
                second.value(QStringLiteral("hex")).toString(), QStringLiteral("a163736571ff"));
            QVERIFY2(!second.contains(QStringLiteral("text")), lines.at(1).constData());
        }
        const QJsonObject third = QJsonDocument::fromJson(lines.at(2)).object();
        if (protocol == ipc::Protocol::Native) {
            QCOMPARE(third.value(QStringLiteral("request")).toBool(), true);
            QVERIFY(third.value(QStringLiteral("request_id")).toInteger() > 0);
        }
    }

    // Without --json: one line per message, binary as hex; a server that
    // goes away for good ends the watch with a reason and exit code 2.
    void watchPrintsLinesAndEndsWhenTheServerDoes()
    {
        const QString name = uniqueName("watch");
        auto server = std::make_unique<ipc::Server>(name);
        QVERIFY(server->listen());
        QSignalSpy connected(server.get(), &ipc::Server::clientConnected);
        QProcess watcher;
        watcher.start(QStringLiteral(IPCCTL_PATH),
            { QStringLiteral("watch"), name, QStringLiteral("--timeout"), QStringLiteral("500") });
        QVERIFY(watcher.waitForStarted(10000));
        QVERIFY(connected.size() == 1 || connected.wait(30000));
        QVERIFY(server->broadcast(3, QByteArray::fromHex("00ff")) == 1);
        QVERIFY(server->broadcast(4, "plain words") == 1);
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += watcher.readAllStandardOutput()).count('\n') == 2, 30000);
        QVERIFY2(out.contains("type=3 size=2 hex:00ff"), out.constData());
        QVERIFY2(out.contains("type=4 size=11 plain words"), out.constData());
        server.reset(); // closes: the client's reconnects find nobody
        QSignalSpy finished(&watcher, &QProcess::finished);
        QVERIFY(watcher.state() == QProcess::NotRunning || finished.wait(60000));
        QCOMPARE(watcher.exitCode(), 2);
        QVERIFY2(watcher.readAllStandardError().contains("gave up"), "no reason on stderr");
    }

    // eat hands the bytes over unchanged: raw to a pipe, hex or JSON on request.
    void eatKeepsBytesIntact()
    {
        const QString name = uniqueName("eat");
        ipc::Server server(name);
        QVERIFY(server.listen());
        const QByteArray binary = QByteArray::fromHex("a163736571ff00e9");
        connect(&server, &ipc::Server::clientConnected, this,
            [&](quint64 id) { server.write(id, 1, binary); });
        Run run = ipcctl({ QStringLiteral("eat"), name });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, binary);
        run = ipcctl({ QStringLiteral("eat"), name, QStringLiteral("--hex") });
        QCOMPARE(run.out.trimmed(), binary.toHex());
        run = ipcctl({ QStringLiteral("eat"), name, QStringLiteral("--json") });
        const QJsonObject object = QJsonDocument::fromJson(run.out.trimmed()).object();
        QCOMPARE(
            object.value(QStringLiteral("hex")).toString(), QString::fromLatin1(binary.toHex()));
        QCOMPARE(object.value(QStringLiteral("size")).toInt(), binary.size());
        QVERIFY2(!object.contains(QStringLiteral("text")), run.out.constData());
    }

    // An error reply, or no reply, is a JSON object too under --json.
    void errorReplyAsJson()
    {
        const QString name = uniqueName("errjson");
        ipc::Server server(name);
        QVERIFY(server.listen());
        connect(&server, &ipc::Server::messageReceived, this,
            [&](const ipc::Message &m) { server.replyError(m, 42, QStringLiteral("no idea")); });
        const Run run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"),
            QStringLiteral("riddle"), QStringLiteral("--wait-reply"), QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 4);
        const QJsonObject object = QJsonDocument::fromJson(run.out.trimmed()).object();
        QCOMPARE(object.value(QStringLiteral("error")).toString(), QStringLiteral("RemoteError"));
        QCOMPARE(object.value(QStringLiteral("code")).toInt(), 42);
        QCOMPARE(object.value(QStringLiteral("text")).toString(), QStringLiteral("no idea"));
    }

    // info names the line wire, and without --protocol line says that text
    // in the greeting may be MinIPC's line wire.
    void infoNamesTheWire()
    {
        const QString name = uniqueName("infoline");
        ipc::ServerConfig config;
        config.protocol = ipc::Protocol::Line;
        config.encryption = false;
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        connect(&server, &ipc::Server::clientConnected, this,
            [&](quint64 id) { server.write(id, 1, "hello"); });
        Run run = ipcctl({ QStringLiteral("info"), name, QStringLiteral("--protocol"),
            QStringLiteral("line"), QStringLiteral("--plain"), QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(run.out.trimmed())
                     .object()
                     .value(QStringLiteral("protocol"))
                     .toString(),
            QStringLiteral("line"));
        run = ipcctl({ QStringLiteral("info"), name, QStringLiteral("--plain") });
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("MinIPC's line wire") && run.err.contains("--protocol line"),
            run.err.constData());
        // A default client finds golang-ipc v2 by itself, and info says so.
        const QString v2Name = uniqueName("infov2");
        ipc::ServerConfig v2;
        v2.protocol = ipc::Protocol::GolangIpcV2;
        ipc::Server v2Server(v2Name, v2);
        QVERIFY(v2Server.listen());
        run = ipcctl({ QStringLiteral("info"), v2Name, QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(run.out.trimmed())
                     .object()
                     .value(QStringLiteral("protocol"))
                     .toString(),
            QStringLiteral("golang-ipc-v2"));
    }

    // The remote-object commands against a thermostat: list, call, get,
    // set, and watch its signals; bad names and arguments are named.
    void objectCommands()
    {
        const QString name = uniqueName("objects");
        ipc::Server server(name);
        Thermostat thermostat;
        QVERIFY(server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(server.listen());

        Run run = ipcctl({ QStringLiteral("objects"), name });
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("thermostat (Thermostat)\n"), run.out.constData());
        QVERIFY2(run.out.contains("  method QString describe(int detail)\n"), run.out.constData());
        QVERIFY2(run.out.contains("  property double target (writable)\n"), run.out.constData());
        QVERIFY2(run.out.contains("  signal void alarm(QString text, int level)\n"),
            run.out.constData());

        run = ipcctl({ QStringLiteral("call"), name, QStringLiteral("thermostat.describe"),
            QStringLiteral("3") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QByteArray("thermostat at 20.5, detail 3\n"));
        QCOMPARE(thermostat.describeCalls, 1);
        run = ipcctl({ QStringLiteral("call"), name, QStringLiteral("thermostat.history"),
            QStringLiteral("2"), QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out.trimmed(), QByteArray("{\"result\":[0,10]}"));

        run = ipcctl({ QStringLiteral("set"), name, QStringLiteral("thermostat.target"),
            QStringLiteral("22.5") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(thermostat.target(), 22.5);
        run = ipcctl({ QStringLiteral("get"), name, QStringLiteral("thermostat.target") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out, QByteArray("22.5\n"));
        run = ipcctl({ QStringLiteral("get"), name, QStringLiteral("thermostat"),
            QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        const QJsonObject values = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(values.value(QStringLiteral("temperature")).toDouble(), 20.5);
        QCOMPARE(values.value(QStringLiteral("target")).toDouble(), 22.5);

        // Failures: exit code 4 with the cause; a missing object names those there are.
        run = ipcctl({ QStringLiteral("call"), name, QStringLiteral("thermostat.describe"),
            QStringLiteral("\"x\"") });
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("expected int, got a string"), run.err.constData());
        run = ipcctl({ QStringLiteral("call"), name, QStringLiteral("boiler.start") });
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("no object is exposed as \"boiler\" (exposed: thermostat)"),
            run.err.constData());
        run = ipcctl({ QStringLiteral("set"), name, QStringLiteral("thermostat.temperature"),
            QStringLiteral("1") });
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("thermostat.temperature is read-only"), run.err.constData());
        QCOMPARE(thermostat.describeCalls, 1);

        // watch OBJECT.SIGNAL prints that signal's emissions only.
        QSignalSpy connected(&server, &ipc::Server::clientConnected);
        QProcess watcher;
        watcher.start(QStringLiteral(IPCCTL_PATH),
            { QStringLiteral("watch"), name, QStringLiteral("thermostat.temperatureChanged"),
                QStringLiteral("--count"), QStringLiteral("2") });
        QVERIFY(watcher.waitForStarted(10000));
        QSignalSpy started(&watcher, &QProcess::readyReadStandardError);
        QVERIFY(started.wait(30000)); // "watching ...": the replica is valid
        thermostat.measure(23);
        Q_EMIT thermostat.alarm(QStringLiteral("ignored"), 1);
        thermostat.measure(24.5);
        QSignalSpy finished(&watcher, &QProcess::finished);
        QVERIFY(watcher.state() == QProcess::NotRunning || finished.wait(30000));
        QCOMPARE(watcher.exitCode(), 0);
        QCOMPARE(watcher.readAllStandardOutput(),
            QByteArray("thermostat.temperatureChanged(double) "
                       "23\nthermostat.temperatureChanged(double) 24.5\n"));
    }

    void helpNamesTheCommand_data()
    {
        QTest::addColumn<QString>("command");
        for (const char *command : { "listen", "watch", "send", "ping", "info", "serve", "eat" })
            QTest::newRow(command) << QString::fromLatin1(command);
    }

    void helpNamesTheCommand()
    {
        QFETCH(QString, command);
        const Run run = ipcctl({ command, QStringLiteral("--help") });
        QCOMPARE(run.exitCode, 0);
        const QByteArray usage = "Usage: ipcctl " + command.toLatin1() + " [options]";
        QVERIFY2(run.out.startsWith(usage), run.out.constData());
    }

    void pingReportsRoundTrips()
    {
        const QString name = uniqueName("ping");
        ipc::Server server(name);
        QVERIFY(server.listen());
        const Run run = ipcctl({ QStringLiteral("ping"), name, QStringLiteral("-c"),
            QStringLiteral("3"), QStringLiteral("-i"), QStringLiteral("10") });
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.out.count("reply from"), 3);
        QVERIFY2(run.out.contains("3 sent, 3 received, min/avg/max = "), run.out.constData());
        QVERIFY2(
            run.err.isEmpty(), run.err.constData()); // its own close is not "the server went away"
    }

    // golang-ipc v2 has no ping: one clear refusal, not one per interval.
    void pingRefusedOnAWireWithoutPing()
    {
        const QString name = uniqueName("ping2");
        ipc::ServerConfig config;
        config.protocol = ipc::Protocol::GolangIpcV2;
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        const Run run = ipcctl({ QStringLiteral("ping"), name, QStringLiteral("--protocol"),
            QStringLiteral("golang-ipc-v2"), QStringLiteral("-i"), QStringLiteral("10") });
        QCOMPARE(run.exitCode, 3); // a protocol mismatch
        QCOMPARE(run.err.count("has no ping"), 1);
    }

    void infoDescribesTheServer()
    {
        const QString name = uniqueName("info");
        ipc::ServerConfig config;
        config.maxMessageSize = 4096;
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        const Run run = ipcctl({ QStringLiteral("info"), name, QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        const QJsonObject info = QJsonDocument::fromJson(run.out.trimmed()).object();
        QCOMPARE(info.value(QStringLiteral("protocol")).toString(), QStringLiteral("native"));
        QCOMPARE(info.value(QStringLiteral("security")).toString(), QStringLiteral("encrypted"));
        QCOMPARE(info.value(QStringLiteral("pid")).toInteger(), QCoreApplication::applicationPid());
        QCOMPARE(info.value(QStringLiteral("max_message_size")).toInteger(), 4096);
        QCOMPARE(info.value(QStringLiteral("handshake_hash")).toString().size(), 64);
    }

    void serveAndEat()
    {
        const QString name = uniqueName("serve");
        QProcess server;
        server.start(QStringLiteral(IPCCTL_PATH),
            { QStringLiteral("serve"), name, QStringLiteral("the message") });
        QVERIFY(server.waitForStarted(10000));
        // eat tries once, as MinIPC's does, unless told to wait for the server.
        const Run eaten
            = ipcctl({ QStringLiteral("eat"), name, QStringLiteral("--wait-for-server") });
        QCOMPARE(eaten.exitCode, 0);
        QCOMPARE(eaten.out.trimmed(), QByteArray("the message"));
        QSignalSpy finished(&server, &QProcess::finished);
        QVERIFY(server.state() == QProcess::NotRunning || finished.wait(30000));
        QCOMPARE(server.exitCode(), 0);
    }

    // Every failure: its exit code and a message that names the cause.
    void failures_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        const QString absent = uniqueName("absent");
        QTest::newRow("no server") << QStringList { QStringLiteral("send"), absent,
            QStringLiteral("1"), QStringLiteral("x") }
                                   << 2 << QStringLiteral("no server");
        QTest::newRow("bad address") << QStringList { QStringLiteral("send"),
            QStringLiteral("tcp://127.0.0.1:notaport"), QStringLiteral("1"), QStringLiteral("x") }
                                     << 1 << QStringLiteral("port");
        QTest::newRow("type 0") << QStringList { QStringLiteral("send"), absent,
            QStringLiteral("0"), QStringLiteral("x") }
                                << 1 << QStringLiteral("type must be a number of 1 or more");
        QTest::newRow("unknown command") << QStringList { QStringLiteral("frobnicate") } << 1
                                         << QStringLiteral("unknown command");
        QTest::newRow("unknown protocol") << QStringList { QStringLiteral("info"), absent,
            QStringLiteral("--protocol"), QStringLiteral("carrier-pigeon") }
                                          << 1 << QStringLiteral("unknown protocol");
        QTest::newRow("ping without a server")
            << QStringList { QStringLiteral("ping"), absent } << 2 << QStringLiteral("no server");
    }

    void failures()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const Run run = ipcctl(arguments);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(
            QString::fromUtf8(run.err).contains(message, Qt::CaseInsensitive), run.err.constData());
    }

    void keyFailures()
    {
        const QString name = uniqueName("keyed");
        ipc::ServerConfig config;
        config.preSharedKey = QByteArray(32, 'k');
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        QTemporaryDir dir;
        const QString wrong = dir.filePath(QStringLiteral("wrong"));
        QFile file(wrong);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(32, 'w').toHex());
        file.close();
        Run run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"), QStringLiteral("x"),
            QStringLiteral("--psk-file"), wrong });
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("pre-shared key"), run.err.constData());
        run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"),
            QStringLiteral("x") }); // no key at all
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("pre-shared key"), run.err.constData());

        qputenv("IPCCTL_TEST_KEY", QByteArray(32, 'k').toHex());
        run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"), QStringLiteral("x"),
            QStringLiteral("--psk-env"), QStringLiteral("IPCCTL_TEST_KEY") });
        QCOMPARE(run.exitCode, 0);

        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("too short");
        file.close();
        run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"), QStringLiteral("x"),
            QStringLiteral("--psk-file"), wrong });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("must be 32 bytes or 64 hex digits"), run.err.constData());
    }

    void oversizeAndNoReply()
    {
        const QString name = uniqueName("small");
        ipc::ServerConfig config;
        config.maxMessageSize = 1024;
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        Run run = ipcctl(
            { QStringLiteral("send"), name, QStringLiteral("1"), QString(2000, QLatin1Char('x')) });
        QCOMPARE(run.exitCode, 4);
        QVERIFY2(run.err.contains("2000 bytes exceed"), run.err.constData());
        run = ipcctl({ QStringLiteral("send"), name, QStringLiteral("1"), QStringLiteral("hello"),
            QStringLiteral("--wait-reply"), QStringLiteral("--timeout"), QStringLiteral("300") });
        QCOMPARE(run.exitCode, 5);
        QVERIFY2(run.err.contains("no reply"), run.err.constData());
    }
};

QTEST_MAIN(TestIpcctl)
#include "tst_ipcctl.moc"
