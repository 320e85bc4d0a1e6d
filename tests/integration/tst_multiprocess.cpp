// Two real processes: the peer helper runs under QProcess, this test is the
// other side. Processes are stopped only by the pid QProcess started.
#include "echo.h"
#include "peerprocess.h"
#include "testnames.h"

#include "buildtransport.h"
#include <ipc/client.h>
#include <ipc/server.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <grp.h>
#include <signal.h>
#include <unistd.h>

using namespace std::chrono_literals;
using ipc::Message;
using ipc::Status;

namespace {

// Starts the helper as an echo server and waits for its "listening" line.
bool startServerProcess(QProcess &process, const QString &address, QStringList extra = {})
{
    return !startPeerServer(process, QStringList{QStringLiteral("server"), address} + extra).isEmpty();
}

void stop(QProcess &process)
{
    stopPeer(process);
}

} // namespace

class TestMultiProcess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void clientHereServerThere_data()
    {
        QTest::addColumn<bool>("encrypted");
        QTest::newRow("encrypted") << true;
        QTest::newRow("plain") << false;
    }

    void clientHereServerThere()
    {
        QFETCH(bool, encrypted);
        const QString name = uniqueName("mp");
        QProcess serverProcess;
        QVERIFY(startServerProcess(serverProcess, name,
                                   encrypted ? QStringList() : QStringList{QStringLiteral("--plain")}));
        ipc::ClientConfig config;
        config.encryptionRequired = encrypted;
        ipc::Client client(name, config);
        QVERIFY2(client.waitForConnected(10s), qPrintable(client.errorString()));
        QCOMPARE(client.encryption().isEncrypted(), encrypted);
        QCOMPARE(client.serverInfo().pid, serverProcess.processId());
        for (int i = 1; i <= 100; ++i)
            QVERIFY(client.write(i, QByteArray::number(i * i)));
        for (int i = 1; i <= 100; ++i) {
            const Message reply = client.waitForMessage(10s);
            QCOMPARE(reply.type, i);
            QCOMPARE(reply.data, QByteArray::number(i * i));
        }
        stop(serverProcess);
    }

    void serverHereClientsThere()
    {
        const QString name = uniqueName("mpserver");
        ipc::Server server(name);
        echoEverything(server);
        QVERIFY(server.listen());
        std::vector<std::unique_ptr<QProcess>> clients;
        for (int i = 0; i < 3; ++i) {
            clients.push_back(std::make_unique<QProcess>());
            clients.back()->start(peerPath(), {QStringLiteral("client"), name, QStringLiteral("50")});
        }
        for (auto &process : clients) {
            QVERIFY(waitForExit(*process));
            const QByteArray out = process->readAllStandardOutput();
            QVERIFY2(process->exitCode() == 0, out.constData());
            QVERIFY2(out.startsWith("ok 50 Noise_NN_25519_AESGCM_SHA256"), out.constData());
        }
    }

    // A server process killed outright leaves its socket file behind: the
    // next server reuses it, and the client reconnects and delivers what it
    // queued meanwhile, in order.
    void serverCrashAndRestart()
    {
        const QString name = uniqueName("crash");
        QProcess first;
        QVERIFY(startServerProcess(first, name));
        ipc::ClientConfig config;
        config.retryTimer = ipc::RetryTimer::fixed(20ms);
        ipc::Client client(name, config);
        QVERIFY(client.waitForConnected(10s));

        QSignalSpy disconnected(&client, &ipc::Client::disconnected);
        stop(first);
        QVERIFY(disconnected.wait(10000) || disconnected.count() == 1);
        QVERIFY(QFile::exists(socketPathFor(name))); // the crash left it
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Reconnecting, 10000);
        for (int i = 1; i <= 10; ++i)
            QVERIFY(client.write(i, QByteArray::number(i)));

        QProcess second;
        QVERIFY(startServerProcess(second, name));
        for (int i = 1; i <= 10; ++i) {
            const Message reply = client.waitForMessage(10s);
            QCOMPARE(reply.type, i);
        }
        QCOMPARE(client.serverInfo().pid, second.processId());
        stop(second);
    }

    void peerProcessHonoursClientTimeout()
    {
        QProcess process;
        process.start(peerPath(), {QStringLiteral("client"), uniqueName("absent"), QStringLiteral("1"),
                                 QStringLiteral("--timeout"), QStringLiteral("300")});
        QVERIFY(waitForExit(process));
        QCOMPARE(process.exitCode(), 1);
        const QByteArray out = process.readAllStandardOutput();
        QVERIFY2(out.contains("timed out"), out.constData());
    }

    // A server that stops answering (here: a stopped process on TCP) is found
    // by the client's heartbeat; the client reconnects once it answers again.
    void clientDetectsDeadServer()
    {
        QProcess serverProcess;
        serverProcess.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        serverProcess.start(peerPath(), {QStringLiteral("server"), QStringLiteral("tcp://127.0.0.1:0")});
        QVERIFY(serverProcess.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(serverProcess.canReadLine(), 10000);
        const QString address = QString::fromUtf8(serverProcess.readLine().trimmed()).section(QLatin1Char(' '), 1);
        ipc::ClientConfig config;
        config.heartbeatInterval = 100ms;
        config.retryTimer = ipc::RetryTimer::fixed(20ms);
        ipc::Client client(address, config);
        QVERIFY2(client.waitForConnected(10s), qPrintable(client.errorString()));
        QSignalSpy errors(&client, &ipc::Client::errorOccurred);

        ::kill(pid_t(serverProcess.processId()), SIGSTOP); // the process this test started
        QTRY_COMPARE_WITH_TIMEOUT(errors.count(), 1, 20000);
        QCOMPARE(client.error(), ipc::Error::ConnectionLost);
        QVERIFY2(client.errorString().contains(QLatin1String("stopped answering")), qPrintable(client.errorString()));
        QVERIFY(client.status() == Status::Reconnecting || client.status() == Status::Connecting
                || client.status() == Status::Connected);

        ::kill(pid_t(serverProcess.processId()), SIGCONT);
        QVERIFY(client.waitForConnected(20s));
        stop(serverProcess);
    }

    void serverDetectsDeadClient()
    {
        ipc::ServerConfig config;
        config.heartbeatInterval = 100ms;
        ipc::Server server(QStringLiteral("tcp://127.0.0.1:0"), config);
        QSignalSpy errors(&server, &ipc::Server::clientErrorOccurred);
        QSignalSpy gone(&server, &ipc::Server::clientDisconnected);
        QVERIFY(server.listen());
        QProcess clientProcess;
        clientProcess.start(peerPath(), {QStringLiteral("idle-client"), server.listeningAddress()});
        QTRY_VERIFY_WITH_TIMEOUT(clientProcess.canReadLine(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);

        ::kill(pid_t(clientProcess.processId()), SIGSTOP);
        QTRY_COMPARE_WITH_TIMEOUT(gone.count(), 1, 20000);
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(1).value<ipc::Error>(), ipc::Error::ConnectionLost);
        QVERIFY(errors.at(0).at(2).toString().contains(QLatin1String("stopped answering")));
        QCOMPARE(server.clientCount(), 0);
        stop(clientProcess); // SIGKILL ends a stopped process too
    }

    // A client process killed with SIGKILL while its 2 MiB messages stream
    // in: the server delivers only whole messages, reports the connection
    // (cut inside a frame, or lost between two), frees it, and serves the
    // others on.
    void clientKilledMidMessage()
    {
        constexpr int Size = 2 * 1024 * 1024;
        const QString name = uniqueName("midmessage");
        ipc::ServerConfig config;
        config.maxMessageSize = 4 * 1024 * 1024;
        ipc::Server server(name, config);
        echoEverything(server);
        QVERIFY(server.listen());
        ipc::Client good(name);
        QVERIFY(good.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
        const quint64 goodId = server.clientIds().first();
        QSignalSpy errors(&server, &ipc::Server::clientErrorOccurred);
        QSignalSpy gone(&server, &ipc::Server::clientDisconnected);
        int whole = 0;
        bool intact = true;
        connect(&server, &ipc::Server::messageReceived, this, [&](const Message &m) {
            if (m.clientId == goodId)
                return;
            ++whole;
            intact = intact && m.data.size() == Size && m.data.endsWith('x');
        });

        QProcess sender;
        sender.start(peerPath(), {QStringLiteral("burst"), name, QStringLiteral("40"), QString::number(Size)});
        QVERIFY(sender.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(whole >= 2, 60000);
        sender.kill(); // SIGKILL, to the process this test started
        QVERIFY(waitForExit(sender));

        QTRY_COMPARE_WITH_TIMEOUT(gone.count(), 1, 20000);
        QCOMPARE(errors.count(), 1);
        const auto error = errors.at(0).at(1).value<ipc::Error>();
        const QString reason = errors.at(0).at(2).toString();
        QVERIFY2(error == ipc::Error::ProtocolError || error == ipc::Error::ConnectionLost, qPrintable(reason));
        if (error == ipc::Error::ProtocolError)
            QVERIFY2(reason.contains(QLatin1String("closed inside a frame")), qPrintable(reason));
        QVERIFY(intact);
        QVERIFY(whole < 40);
        QCOMPARE(server.clientCount(), 1);
        QVERIFY(good.write(3, "carry on"));
        QCOMPARE(good.waitForMessage(10s).data, QByteArray("carry on"));
        qInfo("killed after %d whole message(s): %s", whole, qPrintable(reason));
    }

    // Owner-only sockets keep other users out; unmaskPermissions lets them in.
    void otherUserAccess_data()
    {
        QTest::addColumn<bool>("unmask");
        QTest::addColumn<bool>("sameUserOnly");
        QTest::newRow("owner only (default)") << false << false;
        QTest::newRow("unmaskPermissions") << true << false;
        // The socket lets everyone in; the kernel's credentials keep them out.
        QTest::newRow("unmaskPermissions, sameUserOnly") << true << true;
    }

    void otherUserAccess()
    {
        QFETCH(bool, unmask);
        QFETCH(bool, sameUserOnly);
        if (::geteuid() != 0)
            QSKIP("needs root to start a peer as another user");
        // Copies of the helper and the library where the other user can run them.
        QTemporaryDir dir(QStringLiteral("/tmp/ipcpeer-XXXXXX"));
        QVERIFY(dir.isValid());
        QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                  | QFileDevice::ExeOwner | QFileDevice::ReadOther | QFileDevice::ExeOther
                                  | QFileDevice::ReadGroup | QFileDevice::ExeGroup);
        const QString peerCopy = dir.filePath(QStringLiteral("ipc_test_peer"));
        QVERIFY(QFile::copy(peerPath(), peerCopy));
        const QFileInfo peerInfo(peerPath());
        const QDir libDir(QFileInfo(peerInfo.dir(), QStringLiteral("../libipc")).absoluteFilePath());
        for (const QString &lib : libDir.entryList({QStringLiteral("libipc.so*")}, QDir::Files))
            QVERIFY(QFile::copy(libDir.filePath(lib), dir.filePath(lib)));

        const QString name = uniqueName("otheruser");
        ipc::ServerConfig config;
        config.unmaskPermissions = unmask;
        config.sameUserOnly = sameUserOnly;
        if (sameUserOnly && !hasLinuxTransport())
            QSKIP("sameUserOnly needs peer credentials: Linux's own transport (tst_security checks the refusal)");
        ipc::Server server(name, config);
        QSignalSpy clientErrors(&server, &ipc::Server::clientErrorOccurred);
        echoEverything(server);
        QVERIFY(server.listen());

        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LD_LIBRARY_PATH"), dir.path());
        process.setProcessEnvironment(env);
        process.setChildProcessModifier([] {
            const gid_t nogroup = 65534;
            if (::setgroups(1, &nogroup) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(3);
        });
        process.start(peerCopy, {QStringLiteral("client"), name, QStringLiteral("1"),
                                 QStringLiteral("--timeout"), QStringLiteral("500")});
        QVERIFY(waitForExit(process));
        const QByteArray out = process.readAllStandardOutput();
        QVERIFY2(process.exitCode() != 3, "could not switch to the unprivileged user");
        if (unmask && sameUserOnly) {
            QCOMPARE(process.exitCode(), 1);
            QVERIFY2(out.contains("accepts only its own user"), out.constData());
            QCOMPARE(server.refusedPeerCount(), 1);
            QTRY_VERIFY_WITH_TIMEOUT(!clientErrors.isEmpty(), 10000);
            QCOMPARE(clientErrors.first().at(1).value<ipc::Error>(), ipc::Error::PermissionDenied);
        } else if (unmask) {
            QVERIFY2(process.exitCode() == 0, out.constData());
        } else {
            QCOMPARE(process.exitCode(), 1);
            QVERIFY2(out.contains("permission denied"), out.constData());
        }
    }
};

QTEST_MAIN(TestMultiProcess)
#include "tst_multiprocess.moc"
