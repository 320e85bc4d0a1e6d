// What a Qt user expects of the API: configuration errors that a slot can
// see, the first statusChanged, per-client write errors, slots and
// metatypes, a listen backlog that takes a burst, a liveness check that does
// not disturb the live server, and connection ids shared with the observer.
#include "echo.h"
#include "session_observer.h"
#include "testnames.h"

#include "transport/capabilities.h"
#include <ipc/client.h>
#include <ipc/server.h>

#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QtTest>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <mutex>

using namespace std::chrono_literals;
using namespace ipc;

Q_DECLARE_METATYPE(ipc::ServerConfig)
Q_DECLARE_METATYPE(ipc::ClientConfig)

namespace {

// Connection ids and roles as the sessions report them.
class IdObserver : public SessionObserver
{
public:
    std::mutex lock;
    QList<quint64> serverIds;
    int opened = 0;
    void *connectionOpened(const ConnectionFacts &facts) override
    {
        std::lock_guard<std::mutex> guard(lock);
        ++opened;
        if (facts.role == protocol::Role::Server)
            serverIds.append(facts.id);
        return nullptr;
    }
};

// Every ipc.* message logged while it is installed.
QStringList captured;
QtMessageHandler previousHandler = nullptr;
void capture(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (context.category && QByteArray(context.category).startsWith("ipc."))
        captured << message;
    previousHandler(type, context, message);
}

// A name other than localhost that /etc/hosts maps to a loopback address
// (the machine's own name usually is), or empty.
QString loopbackHostName()
{
    QFile hosts(QStringLiteral("/etc/hosts"));
    if (!hosts.open(QIODevice::ReadOnly))
        return QString();
    while (!hosts.atEnd()) {
        const QString line = QString::fromLatin1(hosts.readLine()).section(QLatin1Char('#'), 0, 0);
        const QStringList fields = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (fields.size() < 2 || !QHostAddress(fields.at(0)).isLoopback())
            continue;
        for (const QString &name : fields.mid(1)) {
            if (!name.startsWith(QLatin1String("localhost"), Qt::CaseInsensitive))
                return name;
        }
    }
    return QString();
}

} // namespace

class TestApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The client's and server's state through their whole lives, with the
    // golang-ipc status beside it, and error() saying why a client stopped.
    void stateFollowsTheLifecycle()
    {
        using CS = Client::State;
        const QString name = uniqueName("state");
        Server server(name);
        QCOMPARE(server.state(), Server::State::NotListening);
        QSignalSpy serverStates(&server, &Server::stateChanged);
        QVERIFY(server.listen());
        QCOMPARE(server.state(), Server::State::Listening);
        Client client(name);
        QCOMPARE(client.state(), CS::Unconnected);
        QCOMPARE(client.status(), Status::NotConnected);
        QSignalSpy states(&client, &Client::stateChanged);
        QVERIFY(client.waitForConnected(10s));
        QCOMPARE(client.state(), CS::Connected);
        server.close();
        QCOMPARE(serverStates.count(), 3);
        QCOMPARE(serverStates.at(1).at(0).value<Server::State>(), Server::State::Closing);
        QCOMPARE(server.state(), Server::State::NotListening);
        QCOMPARE(server.status(), Status::Closed);
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), CS::Reconnecting, 10000);
        client.close();
        QCOMPARE(client.state(), CS::Unconnected);
        QCOMPARE(client.status(), Status::Closed);
        const QList<CS> expected{CS::Connecting, CS::Connected, CS::Reconnecting, CS::Closing, CS::Unconnected};
        QList<CS> seen;
        for (const QList<QVariant> &change : std::as_const(states))
            seen.append(change.at(0).value<CS>());
        QCOMPARE(seen, expected);

        // Given up: Unconnected again, and error() says why.
        ClientConfig config;
        config.timeout = 200ms;
        Client lonely(uniqueName("nobody"), config);
        QSignalSpy lonelyStates(&lonely, &Client::stateChanged);
        QTRY_COMPARE_WITH_TIMEOUT(lonely.status(), Status::Timeout, 10000);
        QCOMPARE(lonely.state(), CS::Unconnected);
        QCOMPARE(lonely.error(), Error::Timeout);
        QCOMPARE(lonelyStates.last().at(0).value<CS>(), CS::Unconnected);
    }

    // A slot may delete the object from its state signal: the rest of the
    // transition (close() included) touches nothing of it afterwards.
    void deletedFromItsStateSignal()
    {
        const QString name = uniqueName("deleteonstate");
        auto *server = new Server(name);
        QVERIFY(server->listen());
        QPointer<Client> client = new Client(name);
        connect(client, &Client::stateChanged, client, [&](Client::State state) {
            if (state == Client::State::Connected)
                delete client.data();
        });
        QTRY_VERIFY_WITH_TIMEOUT(client.isNull(), 10000);
        QPointer<Server> watched = server;
        connect(server, &Server::stateChanged, server, [server](Server::State state) {
            if (state == Server::State::Closing)
                delete server;
        });
        server->close();
        QVERIFY(watched.isNull());
    }

    void configurationErrorsAreObservable_data()
    {
        QTest::addColumn<ServerConfig>("server");
        QTest::addColumn<ClientConfig>("client");
        QTest::addColumn<QString>("cause");
        ServerConfig server;
        ClientConfig client;
        server.preSharedKey = client.preSharedKey = QByteArray(8, 'k');
        QTest::newRow("8-byte key") << server << client << "32 bytes, not 8";
        server = {};
        client = {};
        server.maxClients = -1;
        client.writeQueueLimit = -1;
        QTest::newRow("negative limits") << server << client << "must not be negative";
        server = {};
        client = {};
        server.heartbeatInterval = -5ms;
        client.retryTimer.factor = 0.5;
        QTest::newRow("impossible timing") << server << client << "must";
        server = {};
        client = {};
        server.protocol = Protocol::Line;
        server.preSharedKey = QByteArray(32, 'k');
        client.protocol = Protocol::Line;
        client.preSharedKey = QByteArray(32, 'k');
        QTest::newRow("key on the line wire") << server << client << "line wire has no encryption";
    }

    // Found in the constructor, held by status() and errorString() at once,
    // emitted from the event loop for a slot connected after construction,
    // and never overwritten by later calls.
    void configurationErrorsAreObservable()
    {
        QFETCH(ServerConfig, server);
        QFETCH(ClientConfig, client);
        QFETCH(QString, cause);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("invalid configuration")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("invalid configuration")));
        Server s(uniqueName("config"), server);
        Client c(uniqueName("config"), client);
        QSignalSpy serverErrors(&s, &Server::errorOccurred);
        QSignalSpy clientErrors(&c, &Client::errorOccurred);
        for (const auto &[status, error, text] : {std::make_tuple(s.status(), s.error(), s.errorString()),
                                                  std::make_tuple(c.status(), c.error(), c.errorString())}) {
            QCOMPARE(status, Status::Error);
            QCOMPARE(error, Error::InvalidConfiguration);
            QVERIFY2(text.contains(cause), qPrintable(text));
        }
        QTRY_COMPARE_WITH_TIMEOUT(serverErrors.count(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(clientErrors.count(), 1, 10000);
        QCOMPARE(serverErrors.count(), 1);
        QCOMPARE(serverErrors.at(0).at(0).value<Error>(), Error::InvalidConfiguration);
        QCOMPARE(clientErrors.at(0).at(0).value<Error>(), Error::InvalidConfiguration);

        const QString first = c.errorString();
        QVERIFY(!c.write(1, "x"));
        c.connectToServer();
        QCOMPARE(c.errorString(), first);
        QCOMPARE(c.error(), Error::InvalidConfiguration);
        QCOMPARE(c.status(), Status::Error);
        QVERIFY(!s.listen());
        QVERIFY(s.errorString().contains(cause));
        QCOMPARE(s.error(), Error::InvalidConfiguration);
    }

    void invalidAddressIsObservable()
    {
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("invalid address")));
        Client client(QStringLiteral("tcp://999.1.1.1:1"));
        QSignalSpy errors(&client, &Client::errorOccurred);
        QCOMPARE(client.error(), Error::InvalidAddress);
        QVERIFY(errors.wait(10000));
        QCOMPARE(errors.at(0).at(0).value<Error>(), Error::InvalidAddress);
        const QString first = client.errorString();
        QVERIFY(!client.write(1, "x"));
        QCOMPARE(client.errorString(), first);
    }

    // tcp:// takes host names: a server binds what the name resolves to and a
    // client connects through it without blocking.
    void tcpHostNames()
    {
        const QString hostName = loopbackHostName();
        if (hostName.isEmpty())
            QSKIP("/etc/hosts maps no name but localhost to a loopback address");
        Server server(QStringLiteral("tcp://%1:0").arg(hostName));
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        const quint16 port = quint16(server.listeningAddress().section(QLatin1Char(':'), -1).toUInt());
        QVERIFY(port != 0);

        Client client(QStringLiteral("tcp://%1:%2").arg(hostName).arg(port));
        QCOMPARE(client.address(), QStringLiteral("tcp://%1:%2").arg(hostName).arg(port));
        QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
        QVERIFY(client.write(5, "by name"));
        QCOMPARE(client.waitForMessage(30s).data, QByteArray("by name"));
    }

    // A name that does not resolve: the client's error names the host, the
    // server's listen() fails with InvalidAddress naming it.
    void unknownHostNameIsNamed()
    {
        const QString unknown = QStringLiteral("no-such-host.invalid"); // RFC 2606: never resolves
        ClientConfig config;
        config.maxAttempts = 1; // the error itself, not the retries' timeout
        config.handshakeTimeout = 60s; // however slow the resolver is
        Client client(QStringLiteral("tcp://%1:7000").arg(unknown), config);
        client.connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Error, 60000);
        QCOMPARE(client.error(), Error::ServerNotFound);
        QVERIFY2(client.errorString().contains(unknown), qPrintable(client.errorString()));
        QVERIFY2(client.errorString().contains(QLatin1String("was not found")), qPrintable(client.errorString()));

        Server server(QStringLiteral("tcp://%1:0").arg(unknown));
        QVERIFY(!server.listen());
        QCOMPARE(server.error(), Error::InvalidAddress);
        QVERIFY2(server.errorString().contains(unknown), qPrintable(server.errorString()));
    }

    void firstStatusChangeIsSeen_data()
    {
        QTest::addColumn<bool>("withServer");
        QTest::newRow("server there") << true;
        QTest::newRow("no server") << false;
    }

    // A slot connected right after construction sees Connecting first; a
    // write made before the event loop ran is queued, not refused.
    void firstStatusChangeIsSeen()
    {
        QFETCH(bool, withServer);
        const QString name = uniqueName("first");
        Server server(name);
        echoEverything(server);
        if (withServer)
            QVERIFY(server.listen());
        ClientConfig config;
        config.timeout = withServer ? 0ms : 300ms;
        Client client(name, config);
        QCOMPARE(client.status(), Status::NotConnected);
        QSignalSpy statuses(&client, &Client::statusChanged);
        QSignalSpy received(&client, &Client::messageReceived);
        QVERIFY(client.write(3, "early"));
        QCOMPARE(client.queuedMessageCount(), 1);
        const Status last = withServer ? Status::Connected : Status::Timeout;
        QTRY_VERIFY_WITH_TIMEOUT(!statuses.isEmpty() && statuses.last().at(0).value<Status>() == last, 10000);
        QCOMPARE(statuses.first().at(0).value<Status>(), Status::Connecting);
        if (withServer) {
            QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, 10000);
            QCOMPARE(received.at(0).at(0).value<Message>().type, 3);
            QCOMPARE(received.at(0).at(0).value<Message>().data, QByteArray("early"));
        }
    }

    // serverInfo(), the server's slots by name, PeerInfo as a metatype.
    void slotsAndMetatypes()
    {
        const QString name = uniqueName("slots");
        Server server(name);
        QVERIFY(server.listen());
        Client client(name);
        QVERIFY(client.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
        const quint64 id = server.clientIds().first();
        QCOMPARE(client.serverInfo().pid, QCoreApplication::applicationPid());

        bool written = false;
        QVERIFY(QMetaObject::invokeMethod(&server, "write", Q_RETURN_ARG(bool, written), Q_ARG(quint64, id),
                                          Q_ARG(qint32, 5), Q_ARG(QByteArray, "by name")));
        QVERIFY(written);
        QCOMPARE(client.waitForMessage(10s).data, QByteArray("by name"));
        int sent = 0;
        QVERIFY(QMetaObject::invokeMethod(&server, "broadcast", Q_RETURN_ARG(int, sent), Q_ARG(qint32, 6),
                                          Q_ARG(QByteArray, "to all")));
        QCOMPARE(sent, 1);
        QCOMPARE(client.waitForMessage(10s).data, QByteArray("to all"));

        const QMetaType peerInfo = QMetaType::fromName("ipc::PeerInfo");
        QVERIFY(peerInfo.isValid());
        const QVariant boxed = QVariant::fromValue(client.serverInfo());
        QCOMPARE(boxed.metaType(), peerInfo);
        QCOMPARE(boxed.value<PeerInfo>().pid, QCoreApplication::applicationPid());

        QSignalSpy gone(&client, &Client::disconnected);
        QVERIFY(QMetaObject::invokeMethod(&server, "disconnectClient", Q_ARG(quint64, id)));
        QVERIFY(gone.wait(10000));
    }

    // 1,000 raw connects in a burst, before the server accepts any: each
    // succeeds at once (no EAGAIN, no retry), and the server then serves a
    // well-behaved client.
    void listenBacklogTakesABurst()
    {
        rlimit files;
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &files), 0);
        if (files.rlim_cur < 2200 && files.rlim_max >= 2200) {
            files.rlim_cur = files.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &files);
        }
        if (files.rlim_cur < 2200)
            QSKIP("needs 2,200 file descriptors");
        const QString name = uniqueName("backlog");
        ServerConfig config;
        config.handshakeTimeout = 60s;
        Server server(name, config);
        echoEverything(server);
        QVERIFY(server.listen());

        sockaddr_un address = {};
        address.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(server.listeningAddress());
        std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
        std::vector<int> sockets;
        int refused = 0;
        for (int i = 0; i < 1000; ++i) {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            QVERIFY(fd >= 0);
            if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0)
                ++refused;
            sockets.push_back(fd);
        }
        QCOMPARE(refused, 0);

        Client client(name);
        QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
        QVERIFY(client.write(1, "after the burst"));
        QCOMPARE(client.waitForMessage(30s).data, QByteArray("after the burst"));
        for (int fd : sockets)
            ::close(fd);
    }

    void tcpBacklogTakesABurst()
    {
        Server server(QStringLiteral("tcp://127.0.0.1:0"));
        echoEverything(server);
        QVERIFY(server.listen());
        const quint16 port = quint16(server.listeningAddress().section(QLatin1Char(':'), -1).toUInt());
        std::vector<QTcpSocket *> sockets;
        for (int i = 0; i < 300; ++i) {
            sockets.push_back(new QTcpSocket(this));
            sockets.back()->connectToHost(QHostAddress::LocalHost, port);
        }
        for (QTcpSocket *socket : sockets)
            QVERIFY(socket->state() == QAbstractSocket::ConnectedState || socket->waitForConnected(30000));
        Client client(server.listeningAddress());
        QVERIFY2(client.waitForConnected(30s), qPrintable(client.errorString()));
        QVERIFY(client.write(1, "after the burst"));
        QCOMPARE(client.waitForMessage(30s).data, QByteArray("after the burst"));
        qDeleteAll(sockets);
    }

    // A second listen() on a live server's name fails without connecting to
    // it: the live server sees no connection, no error and logs nothing.
    void livenessCheckLeavesTheLiveServerAlone()
    {
        if (!transport::linuxTransport())
            QSKIP("the kernel's liveness check is Linux's own transport's; others probe with a connection");
        IdObserver observer;
        setDefaultSessionObserver(&observer);
        const QString name = uniqueName("liveness");
        Server live(name);
        echoEverything(live);
        QVERIFY(live.listen());
        QSignalSpy clientErrors(&live, &Server::clientErrorOccurred);
        QSignalSpy errors(&live, &Server::errorOccurred);
        QLoggingCategory::setFilterRules(QStringLiteral("ipc.*.debug=true"));
        captured.clear();
        previousHandler = qInstallMessageHandler(capture);

        Server second(name);
        QVERIFY(!second.listen());
        QCOMPARE(second.error(), Error::AddressInUse);
        // A real client after it: accepted after anything the check may have opened.
        Client client(name);
        QVERIFY(client.waitForConnected(10s));
        QVERIFY(client.write(1, "still here"));
        QCOMPARE(client.waitForMessage(10s).data, QByteArray("still here"));

        qInstallMessageHandler(previousHandler);
        QLoggingCategory::setFilterRules(QString());
        setDefaultSessionObserver(nullptr);
        QCOMPARE(clientErrors.count(), 0);
        QCOMPARE(errors.count(), 0);
        const QStringList liveServerLines = captured.filter(QRegularExpression(QStringLiteral("client \\d+ error|before the handshake")));
        QVERIFY2(liveServerLines.isEmpty(), qPrintable(liveServerLines.join(QLatin1Char('\n'))));
        std::lock_guard<std::mutex> guard(observer.lock);
        QCOMPARE(observer.serverIds.size(), 1); // the client's, and no probe
        QCOMPARE(observer.serverIds, live.clientIds());
    }

    // A queued message the wire refuses (a line with a newline) is dropped
    // and counted when the connection comes; the rest still goes, in order.
    void refusedQueuedMessageIsReported()
    {
        ServerConfig serverConfig;
        serverConfig.protocol = Protocol::Line;
        Server server(QStringLiteral("tcp://127.0.0.1:0"), serverConfig);
        QVERIFY(server.listen());
        QSignalSpy got(&server, &Server::messageReceived);
        ClientConfig config;
        config.protocol = Protocol::Line;
        Client client(server.listeningAddress(), config);
        QSignalSpy dropped(&client, &Client::messagesDropped);
        QVERIFY(client.write(1, "first"));
        QVERIFY(client.write(1, "two\nlines"));
        QVERIFY(client.write(1, "third"));
        QVERIFY(client.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(got.count(), 2, 10000);
        QCOMPARE(got.at(0).at(0).value<Message>().data, QByteArray("first"));
        QCOMPARE(got.at(1).at(0).value<Message>().data, QByteArray("third"));
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(dropped.at(0).at(0).toInt(), 1);
        QCOMPARE(client.queuedMessageCount(), 0);
        QVERIFY2(client.errorString().contains(QLatin1String("newline")), qPrintable(client.errorString()));
        QVERIFY(client.write(1, "later"));
        QTRY_COMPARE_WITH_TIMEOUT(got.count(), 3, 10000);
    }

    // A slot may close or delete the server while it hands out a connection
    // (on the line wire a client is connected at once, inside the accept).
    void serverDeletedFromClientConnected()
    {
        ServerConfig config;
        config.protocol = Protocol::Line;
        auto *server = new Server(QStringLiteral("tcp://127.0.0.1:0"), config);
        QVERIFY(server->listen());
        QPointer<Server> watch(server);
        connect(server, &Server::clientConnected, server, [server] { delete server; });
        const quint16 port = quint16(server->listeningAddress().section(QLatin1Char(':'), -1).toUInt());
        QTcpSocket first;
        QTcpSocket second;
        first.connectToHost(QHostAddress::LocalHost, port);
        second.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(first.waitForConnected(10000) && second.waitForConnected(10000));
        QTRY_VERIFY_WITH_TIMEOUT(watch.isNull(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(first.state() == QAbstractSocket::UnconnectedState
                                     && second.state() == QAbstractSocket::UnconnectedState,
                                 10000);
    }

    // The ids the observer is told are the Server's client ids.
    void observerSharesClientIds()
    {
        IdObserver observer;
        setDefaultSessionObserver(&observer);
        const QString name = uniqueName("ids");
        Server server(name);
        QVERIFY(server.listen());
        Client first(name);
        Client second(name);
        QVERIFY(first.waitForConnected(10s));
        QVERIFY(second.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 2, 10000);
        setDefaultSessionObserver(nullptr);
        std::lock_guard<std::mutex> guard(observer.lock);
        QCOMPARE(observer.opened, 4); // two client sides, two server sides
        QCOMPARE(observer.serverIds, server.clientIds());
    }
};

QTEST_MAIN(TestApi)
#include "tst_api.moc"
