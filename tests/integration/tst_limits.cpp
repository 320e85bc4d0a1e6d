// A process at its limits: no descriptor left, thousands of peers at once,
// two servers on one name. The server keeps serving and says what happened.
#include "peerprocess.h"
#include "testnames.h"
#include "transport/capabilities.h"
#include "transport/listener.h"
#include "transport/stream.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QSignalSpy>
#include <QtTest>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

using namespace std::chrono_literals;
using namespace ipc;

namespace {

// Takes every descriptor this process has left, under a soft limit lowered
// to a little above those in use; gives them back and restores the limit.
class DescriptorFiller
{
public:
    ~DescriptorFiller() { release(); }

    // Gives back `count` descriptors (for a child process's pipes, say);
    // fill() takes what is left again.
    void giveBack(int count)
    {
        for (; count > 0 && !m_fds.empty(); --count) {
            ::close(m_fds.back());
            m_fds.pop_back();
        }
    }

    bool fill()
    {
        if (m_lowered)
            return takeTheRest();
        if (::getrlimit(RLIMIT_NOFILE, &m_saved) != 0)
            return false;
        int highest = 0;
        for (const QString &entry :
            QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::Files | QDir::System))
            highest = qMax(highest, entry.toInt());
        rlimit lowered = m_saved;
        lowered.rlim_cur = rlim_t(highest + 32);
        if (::setrlimit(RLIMIT_NOFILE, &lowered) != 0)
            return false;
        m_lowered = true;
        return takeTheRest();
    }

    void release()
    {
        for (int fd : m_fds)
            ::close(fd);
        m_fds.clear();
        if (m_lowered)
            ::setrlimit(RLIMIT_NOFILE, &m_saved);
        m_lowered = false;
    }

private:
    bool takeTheRest()
    {
        for (;;) {
            const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                return errno == EMFILE;
            m_fds.push_back(fd);
        }
    }

    rlimit m_saved {};
    bool m_lowered = false;
    std::vector<int> m_fds;
};

QByteArray patterned(qsizetype size)
{
    QByteArray data(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        data[i] = char(i * 7 + (i >> 12));
    return data;
}

// Room for a crowd: the soft descriptor limit raised to the hard one.
bool roomForDescriptors(int wanted)
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return false;
    limit.rlim_cur = limit.rlim_max;
    return ::setrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= rlim_t(wanted);
}

QString serverAddress(bool tcp, const char *tag)
{
    return tcp ? QStringLiteral("tcp://127.0.0.1:0") : uniqueName(tag);
}

void echoEverything(Server &server)
{
    QObject::connect(&server, &Server::messageReceived, &server,
        [&server](const Message &m) { server.write(m.clientId, m.type, m.data); });
}

// Starts `crowd ADDRESS COUNT` and waits for its "ok COUNT": every client
// connected and had its echo.
bool startCrowd(QProcess &crowd, const QString &address, int count)
{
    crowd.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    crowd.start(peerPath(), { QStringLiteral("crowd"), address, QString::number(count) });
    if (!crowd.waitForStarted(10000))
        return false;
    QSignalSpy output(&crowd, &QProcess::readyReadStandardOutput);
    while (!crowd.canReadLine()) {
        if (crowd.state() != QProcess::Running || !output.wait(300000))
            return false;
    }
    const QByteArray line = crowd.readLine().trimmed();
    if (line != "ok " + QByteArray::number(count))
        qWarning() << "crowd:" << line;
    return line == "ok " + QByteArray::number(count);
}

} // namespace

class TestLimits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void transports_data()
    {
        QTest::addColumn<bool>("tcp");
        QTest::newRow("local") << false;
        QTest::newRow("tcp") << true;
    }

    // Connects from two processes at once, more than the listener takes in
    // one pass: every one is accepted and echoed.
    void burstOfConnectsAllSucceed_data() { transports_data(); }
    void burstOfConnectsAllSucceed()
    {
        QFETCH(bool, tcp);
        const int perProcess = 1000;
        if (!roomForDescriptors(2 * perProcess + 200))
            QSKIP("the descriptor limit is too low for the burst");
        Server server(serverAddress(tcp, "burst"));
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        QProcess first;
        QProcess second;
        first.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        second.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        const QStringList arguments { QStringLiteral("crowd"), server.listeningAddress(),
            QString::number(perProcess) };
        first.start(peerPath(), arguments);
        second.start(peerPath(), arguments);
        const QByteArray ok = "ok " + QByteArray::number(perProcess);
        for (QProcess *crowd : { &first, &second }) {
            QVERIFY(crowd->waitForStarted(10000));
            QTRY_VERIFY_WITH_TIMEOUT(
                crowd->canReadLine() || crowd->state() != QProcess::Running, 300000);
            QCOMPARE(crowd->readLine().trimmed(), ok);
        }
        QCOMPARE(server.clientCount(), 2 * perProcess);
        stopPeer(first);
        stopPeer(second);
    }

    // One readiness event takes many waiting connections, not one (Qt's
    // QLocalServer took one per event-loop pass: a burst of thousands
    // waited in the backlog until the clients gave up).
    void listenerTakesManyPerPass_data() { transports_data(); }
    void listenerTakesManyPerPass()
    {
        QFETCH(bool, tcp);
        const Address address = Address::parse(serverAddress(tcp, "perpass"));
        const std::unique_ptr<Listener> listener = Listener::create(address);
        QVERIFY2(listener->listen(address, Listener::Options{}), qPrintable(listener->errorString()));
        const Address bound = Address::parse(listener->listeningAddress());
        int accepted = 0;
        connect(listener.get(), &Listener::newStream, this, [&](Stream *stream) {
            ++accepted;
            stream->deleteLater();
        });
        constexpr int waiting = 200;
        std::vector<std::unique_ptr<Stream>> clients;
        for (int i = 0; i < waiting; ++i) {
            clients.emplace_back(Stream::create(bound));
            clients.back()->connectToPeer(bound);
        }
        // One event-loop pass at a time, until one accepts anything: that
        // one pass took a batch.
        const QDeadlineTimer deadline(30000);
        while (accepted == 0 && !deadline.hasExpired())
            QCoreApplication::processEvents();
        QVERIFY2(accepted >= 32, qPrintable(QStringLiteral("one pass accepted %1").arg(accepted)));
        QTRY_COMPARE_WITH_TIMEOUT(accepted, waiting, 30000);
    }

    // Thousands of clients killed at once: the server works through their
    // ends and their resumption bookkeeping and answers a newcomer.
    void massDisconnectLeavesTheServerAnswering_data() { transports_data(); }
    void massDisconnectLeavesTheServerAnswering()
    {
        QFETCH(bool, tcp);
        const int count = 2000;
        if (!roomForDescriptors(count + 200))
            QSKIP("the descriptor limit is too low for the crowd");
        Server server(serverAddress(tcp, "crowd"));
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        QSignalSpy gone(&server, &Server::clientDisconnected);
        QProcess crowd;
        QVERIFY(startCrowd(crowd, server.listeningAddress(), count));
        QCOMPARE(server.clientCount(), count);

        stopPeer(crowd); // SIGKILL, by the pid this test started
        Client probe(server.listeningAddress());
        QVERIFY2(probe.waitForConnected(120s), qPrintable(probe.errorString()));
        QVERIFY(probe.write(2, "still here"));
        QCOMPARE(probe.waitForMessage(120s).data, QByteArray("still here"));
        QTRY_COMPARE_WITH_TIMEOUT(gone.count(), count, 120000);
        QCOMPARE(server.clientCount(), 1);
    }

    // Out of descriptors, the server refuses newcomers at once, says so once,
    // keeps its listener, and accepts them again when descriptors are free.
    void descriptorExhaustionIsSurvived_data() { transports_data(); }
    void descriptorExhaustionIsSurvived()
    {
        QFETCH(bool, tcp);
        Server server(serverAddress(tcp, "exhausted"));
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        QSignalSpy errors(&server, &Server::errorOccurred);
        QSignalSpy connected(&server, &Server::clientConnected);

        DescriptorFiller filler;
        QVERIFY(filler.fill());
        filler.giveBack(32); // the child's pipes
        QProcess client;
        client.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        client.start(peerPath(),
            { QStringLiteral("client"), server.listeningAddress(), QStringLiteral("3"),
                QStringLiteral("--timeout"), QStringLiteral("120000") });
        QVERIFY(client.waitForStarted(10000));
        QVERIFY(filler.fill());
        QVERIFY(errors.wait(60000)); // the client's attempts are refused
        QCOMPARE(errors.at(0).at(0).value<Error>(), Error::SocketError);
        QVERIFY2(server.errorString().contains(QLatin1String("no file descriptor left")),
            qPrintable(server.errorString()));
        QCOMPARE(connected.count(), 0);
        filler.release();

        QVERIFY(waitForExit(client));
        QCOMPARE(client.readAllStandardOutput().left(4), QByteArray("ok 3"));
        QCOMPARE(client.exitCode(), 0);
        QCOMPARE(errors.count(), 1); // one stretch, one report
        QVERIFY(server.isListening());
        if (!tcp)
            QVERIFY(QFile::exists(server.listeningAddress()));
    }

    // Two servers started on one name at the same moment: one listens, the
    // other gets AddressInUse, and clients reach the one that listens.
    void oneNameOneServer()
    {
        for (int round = 0; round < 50; ++round) {
            const QString name = uniqueName("race");
            QProcess first;
            QProcess second;
            const QStringList arguments { QStringLiteral("server"), name };
            first.start(peerPath(), arguments);
            second.start(peerPath(), arguments);
            int listening = 0;
            int inUse = 0;
            for (QProcess *server : { &first, &second }) {
                // The loser may have ended already: its line is still there.
                QTRY_VERIFY_WITH_TIMEOUT(
                    server->canReadLine() || server->state() == QProcess::NotRunning, 60000);
                const QByteArray line = server->readLine();
                listening += line.startsWith("listening ");
                inUse += line.startsWith("error address in use");
            }
            QCOMPARE(listening, 1);
            QCOMPARE(inUse, 1);
            Client client(name);
            QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
            QVERIFY(client.write(1, "reached"));
            QCOMPARE(client.waitForMessage(30s).data, QByteArray("reached"));
            stopPeer(first);
            stopPeer(second);
        }
    }

    // A socket file deleted under a running server is made again; one
    // replaced by another program is reported and left alone on close.
    void socketFileDeletedOrReplaced()
    {
        const QString name = uniqueName("deleted");
        Server server(name);
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        const QString path = server.listeningAddress();
        QVERIFY(QFile::remove(path));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(path), 30000);
        {
            Client client(name);
            QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
            QVERIFY(client.write(1, "made again"));
            QCOMPARE(client.waitForMessage(30s).data, QByteArray("made again"));
        }

        // Another program's socket renamed onto the path.
        const QString other = path + QStringLiteral(".other");
        const int foreign = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::strncpy(
            address.sun_path, QFile::encodeName(other).constData(), sizeof address.sun_path - 1);
        QCOMPARE(::bind(foreign, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
        QCOMPARE(
            ::rename(QFile::encodeName(other).constData(), QFile::encodeName(path).constData()), 0);
        QSignalSpy errors(&server, &Server::errorOccurred);
        QVERIFY(errors.wait(30000));
        QCOMPARE(errors.at(0).at(0).value<Error>(), Error::AddressInUse);
        QVERIFY2(server.errorString().contains(QLatin1String("replaced")),
            qPrintable(server.errorString()));
        server.close();
        QVERIFY(QFile::exists(path)); // not ours to delete
        ::close(foreign);
        QFile::remove(path);
    }

    // A cleanup removes a live server's socket and lock files and a second
    // server takes the name: the first reports it, and its close() leaves
    // the second's files alone, so the name stays taken.
    void nameTakenAfterACleanupStaysTaken()
    {
        const QString name = uniqueName("cleanup");
        Server first(name);
        QVERIFY2(first.listen(), qPrintable(first.errorString()));
        const QString path = first.listeningAddress();
        QVERIFY(QFile::remove(path));
        QVERIFY(QFile::remove(path + QStringLiteral(".lock")));
        Server second(name); // before the first looks at its file again (same thread)
        echoEverything(second);
        QVERIFY2(second.listen(), qPrintable(second.errorString()));
        QSignalSpy errors(&first, &Server::errorOccurred);
        QVERIFY(errors.wait(30000));
        QCOMPARE(errors.at(0).at(0).value<Error>(), Error::AddressInUse);
        first.close();
        QVERIFY(QFile::exists(path));
        QVERIFY(QFile::exists(path + QStringLiteral(".lock")));
        Server third(name);
        QVERIFY(!third.listen());
        QCOMPARE(third.error(), Error::AddressInUse);
        Client client(name);
        QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
        QVERIFY(client.write(1, "second"));
        QCOMPARE(client.waitForMessage(30s).data, QByteArray("second"));
    }

    // A large message's memory file arrives while this process has no
    // descriptor left: this side reports it as its own shortage (not the
    // peer's protocol error), the connection starts again once, and the
    // message comes in the stream, exactly once.
    void descriptorShortageResendsInTheStream()
    {
        const int MaxSize = 16 << 20;
        if (!transport::hasMemoryFiles())
            QSKIP("memory files travel only on the Linux transport");
        QProcess peer;
        // Sealed batches would send the echo on the stream, not in a file.
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("IPC_SEALED_BATCHES"), QStringLiteral("0"));
        peer.setProcessEnvironment(environment);
        const QString address = startPeerServer(peer,
            { QStringLiteral("server"), uniqueName("shortage"), QStringLiteral("--max-size"),
                QString::number(MaxSize) });
        QVERIFY(!address.isEmpty());
        ClientConfig config;
        config.maxMessageSize = MaxSize;
        Client client(address, config);
        QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
        QSignalSpy errors(&client, &Client::errorOccurred);
        QString reported; // the text, before the new connection clears it
        connect(&client, &Client::errorOccurred, this, [&] { reported = client.errorString(); });
        QSignalSpy connects(&client, &Client::connected);
        QSignalSpy received(&client, &Client::messageReceived);
        const QByteArray big = patterned(6 << 20); // above what goes in the stream

        DescriptorFiller filler;
        QVERIFY(filler.fill());
        QVERIFY2(client.write(7, big),
            qPrintable(client.errorString())); // our memory file fails too: it goes in the stream
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 120000);
        filler.release();

        const Message echo = received.at(0).at(0).value<Message>();
        QCOMPARE(echo.type, 7);
        QVERIFY(echo.data == big);
        QCOMPARE(errors.count(), 1);
        QCOMPARE(errors.at(0).at(0).value<Error>(), Error::SocketError);
        QVERIFY2(reported.contains(QLatin1String("no file descriptor left")), qPrintable(reported));
        QCOMPARE(connects.count(), 1); // one new connection, no loop
        QVERIFY(client.write(8, "after"));
        QCOMPARE(client.waitForMessage(30s).data, QByteArray("after"));
        QCOMPARE(received.count(), 2);
        stopPeer(peer);
    }
};

QTEST_MAIN(TestLimits)
#include "tst_limits.moc"
