// Server and Client in one process over real local sockets (and TCP
// loopback), through the public API only.
#include "echo.h"
#include "testnames.h"
#include "transport/stream.h"

#include "transport/capabilities.h"
#include <ipc/client.h>
#include <ipc/server.h>

#include <QFile>
#include <QScopeGuard>
#include <QLocalServer>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace std::chrono_literals;
using ipc::Client;
using ipc::ClientConfig;
using ipc::Error;
using ipc::Message;
using ipc::Server;
using ipc::ServerConfig;
using ipc::Status;

namespace {

ServerConfig plainServer()
{
    ServerConfig config;
    config.encryption = false;
    return config;
}

ClientConfig plainClient()
{
    ClientConfig config;
    config.encryptionRequired = false;
    return config;
}

// "local" or "tcp": where a test's server listens. TCP uses port 0 and the
// test then connects to server.listeningAddress().
QString listenAddress(const QString &transport, const char *tag)
{
    return transport == QLatin1String("tcp") ? QStringLiteral("tcp://127.0.0.1:0") : uniqueName(tag);
}

void addTransportRows()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("local") << QStringLiteral("local");
    QTest::newRow("tcp") << QStringLiteral("tcp");
}

ClientConfig quickRetry(ClientConfig config = {})
{
    config.retryTimer = ipc::RetryTimer::fixed(20ms);
    return config;
}

// Leaves a socket file behind, as a crashed server does.
bool makeStaleSocket(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const QByteArray bytes = QFile::encodeName(path);
    std::memcpy(addr.sun_path, bytes.constData(), size_t(bytes.size()));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

} // namespace

bool mallocIsGlibcs()
{
    Dl_info info{};
    return ::dladdr(reinterpret_cast<void *>(&::malloc), &info) != 0 && info.dli_fname
        && QByteArray(info.dli_fname).contains("libc.so");
}

// Whether address lies in a mapping of libipc's memory files (/proc/self/maps).
bool mappedFromMemoryFile(const void *address)
{
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly))
        return false;
    const auto at = quintptr(address);
    for (const QByteArray &line : maps.readAll().split('\n')) {
        const QByteArray range = line.left(line.indexOf(' '));
        const quintptr begin = range.left(range.indexOf('-')).toULongLong(nullptr, 16);
        const quintptr end = range.mid(range.indexOf('-') + 1).toULongLong(nullptr, 16);
        if (at >= begin && at < end)
            return line.contains("memfd:libipc-message");
    }
    return false;
}

// Writes one message of each size at once (each byte from its index, the
// stride and the size), then checks that each comes back intact and in
// order; the echoes go to `echoes`.
void writeAndCheckEchoes(Client &client, const QList<int> &sizes, int stride, QList<QByteArray> *echoes)
{
    QList<QByteArray> sent;
    for (int size : sizes) {
        QByteArray data(size, Qt::Uninitialized);
        for (int i = 0; i < size; ++i)
            data[i] = char(i * stride + size);
        sent.append(data);
        QVERIFY(client.write(1 + int(sent.size()), data));
    }
    for (int i = 0; i < sent.size(); ++i) {
        Message reply = client.waitForMessage(30s);
        QCOMPARE(reply.type, 2 + i);
        QVERIFY2(reply.data == sent.at(i), qPrintable(QStringLiteral("message %1 differs").arg(i)));
        echoes->append(std::move(reply.data));
    }
}

class TestLocal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // ping() is answered by the server's library, whatever its application
    // does; each answer comes with its round trip. Not connected: refused.
    void pingIsAnswered()
    {
        const QString name = uniqueName("ping");
        ipc::Server server(name);
        QVERIFY(server.listen());
        ipc::Client client(name);
        QVERIFY(!client.ping());
        QCOMPARE(client.error(), ipc::Error::NotConnected);
        QVERIFY(client.waitForConnected(30s));
        QSignalSpy pongs(&client, &ipc::Client::pong);
        QVERIFY(client.ping());
        QVERIFY(client.ping());
        QTRY_COMPARE_WITH_TIMEOUT(pongs.count(), 2, 10000);
        QVERIFY(pongs.at(0).at(0).toULongLong() > 0);
    }

    void echo_data()
    {
        QTest::addColumn<QString>("transport");
        QTest::addColumn<bool>("encrypted");
        QTest::addColumn<QString>("protocol");
        for (const char *transport : {"local", "tcp"}) {
            QTest::addRow("%s, default (encrypted)", transport)
                << QString::fromLatin1(transport) << true << "Noise_NN_25519_AESGCM_SHA256";
            QTest::addRow("%s, plain", transport) << QString::fromLatin1(transport) << false << "none";
        }
    }

    void echo()
    {
        QFETCH(QString, transport);
        QFETCH(bool, encrypted);
        QFETCH(QString, protocol);
        const QString name = listenAddress(transport, "echo");
        Server server(name, encrypted ? ServerConfig() : plainServer());
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        QCOMPARE(server.status(), Status::Listening);
        if (transport == QLatin1String("local"))
            QCOMPARE(server.listeningAddress(), socketPathFor(name));

        Client client(server.listeningAddress(), encrypted ? ClientConfig() : plainClient());
        QSignalSpy connected(&client, &Client::connected);
        QSignalSpy encryptedSpy(&client, &Client::encrypted);
        QSignalSpy received(&client, &Client::messageReceived);
        QVERIFY(connected.wait(10000));
        QCOMPARE(client.status(), Status::Connected);
        QCOMPARE(client.statusString(), QStringLiteral("Connected"));
        QCOMPARE(encryptedSpy.count(), encrypted ? 1 : 0);
        QCOMPARE(client.encryption().protocol, protocol);
        QCOMPARE(client.serverInfo().pid, QCoreApplication::applicationPid());
        QCOMPARE(client.serverInfo().maxMessageSize, ipc::DefaultMaxMessageSize);

        QVERIFY(client.write(42, QByteArrayLiteral("hello, server")));
        QVERIFY(client.write(43, QByteArray())); // empty data is a message too
        QTRY_COMPARE_WITH_TIMEOUT(received.count(), 2, 10000);
        const auto first = received.at(0).at(0).value<Message>();
        QCOMPARE(first.type, 42);
        QCOMPARE(first.data, QByteArrayLiteral("hello, server"));
        QCOMPARE(received.at(1).at(0).value<Message>().type, 43);
        QVERIFY(received.at(1).at(0).value<Message>().data.isEmpty());

        const QList<ipc::ClientInfo> clients = server.clients();
        QCOMPARE(clients.size(), 1);
        QCOMPARE(clients.first().encryption.protocol, protocol);
        QCOMPARE(clients.first().peer.pid, QCoreApplication::applicationPid());
        QVERIFY(!clients.first().peer.processName.isEmpty());
        // Both ends hold the same handshake hash (empty when plain).
        QCOMPARE(clients.first().encryption.handshakeHash, client.encryption().handshakeHash);
        QCOMPARE(client.encryption().handshakeHash.size(), encrypted ? 32 : 0);
    }

    // Around the 4 KiB line where large messages skip the frame buffers, in
    // both directions, several in a row so they share reads with others.
    void largeMessages_data()
    {
        QTest::addColumn<bool>("encrypted");
        QTest::newRow("encrypted") << true;
        QTest::newRow("plain") << false;
    }

    void largeMessages()
    {
        QFETCH(bool, encrypted);
        const QString name = uniqueName("large");
        Server server(name, encrypted ? ServerConfig() : plainServer());
        echoEverything(server);
        QVERIFY(server.listen());
        Client client(name, encrypted ? ClientConfig() : plainClient());
        QVERIFY(client.waitForConnected(10s));
        const QList<int> sizes = {4095, 4096, 4097, 5, 1 << 20, 0, 100000, int(ipc::DefaultMaxMessageSize), 3};
        QList<QByteArray> echoes;
        writeAndCheckEchoes(client, sizes, 7, &echoes);
    }

    // From 4 MiB on, encrypted local messages without sealed batches travel
    // in sealed memory files (plain ones too where memory files get huge
    // pages); with sealed batches they are sealed a piece at a time on the
    // stream. The data arrives intact both ways, around the line, and from
    // 32 MiB on one from a memory file lands in a mapping of the sender's file.
    void veryLargeMessages_data()
    {
        QTest::addColumn<bool>("encrypted");
        QTest::addColumn<bool>("batches");
        QTest::newRow("encrypted, sealed batches") << true << true;
        QTest::newRow("encrypted, a record per message") << true << false;
        QTest::newRow("plain") << false << false;
    }

    void veryLargeMessages()
    {
        QFETCH(bool, encrypted);
        QFETCH(bool, batches);
        if (!batches)
            qputenv("IPC_SEALED_BATCHES", "0");
        const auto restore = qScopeGuard([] { qunsetenv("IPC_SEALED_BATCHES"); });
        const QString name = uniqueName("verylarge");
        ServerConfig serverConfig = encrypted ? ServerConfig() : plainServer();
        serverConfig.maxMessageSize = 40 << 20;
        ClientConfig clientConfig = encrypted ? ClientConfig() : plainClient();
        clientConfig.maxMessageSize = 40 << 20;
        Server server(name, serverConfig);
        echoEverything(server);
        QVERIFY(server.listen());
        Client client(name, clientConfig);
        QVERIFY(client.waitForConnected(10s));
        const QList<int> sizes = {(4 << 20) - 1, 4 << 20, (33 << 20) + 3, 100};
        QList<QByteArray> echoes;
        writeAndCheckEchoes(client, sizes, 13, &echoes);
        if (QTest::currentTestFailed())
            return;
        for (const QByteArray &echo : std::as_const(echoes)) {
            // (Another allocator than glibc's, a sanitizer's, gets a copy.)
            if (ipc::transport::hasMemoryFiles() && encrypted && echo.size() >= (32 << 20) && mallocIsGlibcs())
                QCOMPARE(mappedFromMemoryFile(echo.constData()), !batches);
        }
        QVERIFY(client.waitForDelivered(10s));
    }

    // A large body goes into the buffer of the previous one once the
    // application has let go of it, and never into one it still holds.
    void largeBodiesReuseOnlyReleasedBuffers()
    {
        const QString name = uniqueName("reuse");
        Server server(name, plainServer());
        QList<QByteArray> kept;
        QList<quintptr> buffers;
        QList<QByteArray> contents;
        connect(&server, &Server::messageReceived, this, [&](const Message &m) {
            buffers.append(quintptr(m.data.constData()));
            contents.append(QByteArray(m.data.constData(), m.data.size())); // a deep copy
            if (m.type == 1)
                kept.append(m.data); // the application holds the first one
            server.write(m.clientId, m.type, "ok");
        });
        QVERIFY(server.listen());
        Client client(name, plainClient());
        QVERIFY(client.waitForConnected(10s));
        // Larger than the socket's buffer: each body is read as it arrives.
        const int size = 2 << 20;
        QList<QByteArray> sent;
        for (int type = 1; type <= 3; ++type) {
            sent.append(QByteArray(size, char('a' + type)));
            QVERIFY(client.write(type, sent.last()));
            const Message ok = client.waitForMessage(30s); // one at a time
            QCOMPARE(ok.type, type);
        }
        QCOMPARE(contents, sent);
        QCOMPARE(kept.size(), 1);
        QCOMPARE(kept.first(), sent.first()); // untouched by the later bodies
        QVERIFY(buffers.at(1) != buffers.at(0));
        QCOMPARE(buffers.at(2), buffers.at(1)); // released, so reused
    }

    void manyClientsAndBroadcast_data() { addTransportRows(); }

    void manyClientsAndBroadcast()
    {
        QFETCH(QString, transport);
        Server server(listenAddress(transport, "broadcast"));
        QSignalSpy serverGot(&server, &Server::messageReceived);
        QVERIFY(server.listen());
        const QString name = server.listeningAddress();
        std::vector<std::unique_ptr<Client>> clients;
        std::vector<std::unique_ptr<QSignalSpy>> spies;
        for (int i = 0; i < 4; ++i) {
            clients.push_back(std::make_unique<Client>(name));
            spies.push_back(std::make_unique<QSignalSpy>(clients.back().get(), &Client::messageReceived));
        }
        for (auto &client : clients)
            QVERIFY(client->waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 4, 10000);

        const QList<quint64> ids = server.clientIds();
        QCOMPARE(QSet<quint64>(ids.begin(), ids.end()).size(), 4);
        QCOMPARE(server.broadcast(7, QByteArrayLiteral("to all")), 4);
        for (auto &spy : spies) {
            QTRY_COMPARE_WITH_TIMEOUT(spy->count(), 1, 10000);
            QCOMPARE(spy->at(0).at(0).value<Message>().data, QByteArrayLiteral("to all"));
        }

        // Each client's message carries its own id; a reply reaches only it.
        for (int i = 0; i < 4; ++i)
            clients[i]->write(1, QByteArray::number(i));
        QTRY_COMPARE_WITH_TIMEOUT(serverGot.count(), 4, 10000);
        for (const auto &args : serverGot) {
            const auto m = args.at(0).value<Message>();
            QVERIFY(server.write(m.clientId, 2, m.data));
        }
        for (int i = 0; i < 4; ++i) {
            QTRY_COMPARE_WITH_TIMEOUT(spies[i]->count(), 2, 10000);
            QCOMPARE(spies[i]->at(1).at(0).value<Message>().data, QByteArray::number(i));
        }

        QSignalSpy gone(&server, &Server::clientDisconnected);
        clients[0]->close();
        QVERIFY(gone.wait(10000));
        QCOMPARE(server.clientCount(), 3);
        QCOMPARE(server.broadcast(7, QByteArrayLiteral("again")), 3);
    }

    void reconnectDeliversQueuedMessagesInOrder_data() { addTransportRows(); }

    void reconnectDeliversQueuedMessagesInOrder()
    {
        QFETCH(QString, transport);
        auto server = std::make_unique<Server>(listenAddress(transport, "reconnect"));
        QVERIFY(server->listen());
        const QString name = server->listeningAddress(); // the same port again for TCP
        Client client(name, quickRetry());
        QSignalSpy statuses(&client, &Client::statusChanged);
        QVERIFY(client.waitForConnected(10s));

        QSignalSpy disconnected(&client, &Client::disconnected);
        server.reset();
        QVERIFY(disconnected.wait(10000));
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Reconnecting, 10000);
        for (int i = 1; i <= 5; ++i)
            QVERIFY(client.write(i, QByteArray::number(i)));
        QCOMPARE(client.queuedMessageCount(), 5);

        server = std::make_unique<Server>(name);
        QSignalSpy got(server.get(), &Server::messageReceived);
        QVERIFY(server->listen());
        QTRY_COMPARE_WITH_TIMEOUT(got.count(), 5, 10000);
        for (int i = 0; i < 5; ++i) {
            const auto m = got.at(i).at(0).value<Message>();
            QCOMPARE(m.type, i + 1);
            QCOMPARE(m.data, QByteArray::number(i + 1));
        }
        QCOMPARE(client.status(), Status::Connected);
        QCOMPARE(client.queuedMessageCount(), 0);
        QList<Status> seen;
        for (const auto &args : statuses)
            seen.append(args.at(0).value<Status>());
        QVERIFY(seen.contains(Status::Reconnecting));
        QCOMPARE(seen.last(), Status::Connected);
    }

    // A TCP connect the system leaves hanging (the listener's accept queue is
    // full and nobody accepts, so its SYNs go unanswered) ends at the
    // client's timeout, not after the system's minutes of retries.
    void hangingConnectEndsAtTheClientsTimeout()
    {
        const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(listener >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);
        QCOMPARE(::listen(listener, 0), 0);
        socklen_t length = sizeof(address);
        QCOMPARE(::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length), 0);
        std::vector<int> fillers; // the first fills the queue, the others wait for SYN answers
        for (int i = 0; i < 3; ++i) {
            fillers.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
            ::connect(fillers.back(), reinterpret_cast<sockaddr *>(&address), sizeof(address));
        }
        ClientConfig config;
        config.timeout = 1500ms;
        Client client(QStringLiteral("tcp://127.0.0.1:%1").arg(ntohs(address.sin_port)), config);
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Timeout, 30000);
        QCOMPARE(client.error(), Error::Timeout);
        qInfo().noquote() << client.errorString();
        for (const int fd : fillers)
            ::close(fd);
        ::close(listener);
    }

    void clientTimeoutReportsDroppedMessages()
    {
        ClientConfig config = quickRetry();
        config.timeout = 300ms;
        Client client(uniqueName("nobody"), config);
        QSignalSpy dropped(&client, &Client::messagesDropped);
        QSignalSpy errors(&client, &Client::errorOccurred);
        QVERIFY(client.write(1, "a"));
        QVERIFY(client.write(2, "b"));
        QVERIFY(client.write(3, "c"));
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Timeout, 10000);
        QCOMPARE(client.error(), Error::Timeout);
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(dropped.at(0).at(0).toInt(), 3);
        QVERIFY2(client.errorString().contains(QLatin1String("3 unconfirmed message(s) dropped")),
                 qPrintable(client.errorString()));
        QVERIFY(errors.count() >= 1);
        QCOMPARE(client.statusString(), QStringLiteral("Timeout"));
        QVERIFY(!client.write(4, "d")); // nothing queues once given up
    }

    void writeQueueLimit()
    {
        ClientConfig config = quickRetry();
        config.writeQueueLimit = 2;
        Client client(uniqueName("queue"), config);
        QVERIFY(client.write(1, "a"));
        QVERIFY(client.write(1, "b"));
        QVERIFY(!client.write(1, "c"));
        QCOMPARE(client.error(), Error::WriteQueueFull);
        QVERIFY(client.errorString().contains(QLatin1String("holds 2 messages (writeQueueLimit)")));
        QCOMPARE(client.queuedMessageCount(), 2);
        QSignalSpy dropped(&client, &Client::messagesDropped);
        client.close();
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(dropped.at(0).at(0).toInt(), 2);
    }

    void typeZeroAndNegativeRefused()
    {
        const QString name = uniqueName("types");
        Server server(name);
        QVERIFY(server.listen());
        Client client(name);
        QVERIFY(client.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
        QSignalSpy clientErrors(&client, &Client::errorOccurred);
        QVERIFY(!client.write(0, "control"));
        QCOMPARE(client.error(), Error::InvalidMessageType);
        QVERIFY(client.errorString().contains(QLatin1String("reserved")));
        QVERIFY(!client.write(-1, "notice"));
        QCOMPARE(clientErrors.count(), 2);
        const quint64 id = server.clientIds().first();
        // A refused write is that client's error, never the server's own.
        QSignalSpy perClient(&server, &Server::clientErrorOccurred);
        QSignalSpy serverErrors(&server, &Server::errorOccurred);
        QVERIFY(!server.write(id, 0, "x"));
        QCOMPARE(perClient.count(), 1);
        QCOMPARE(perClient.at(0).at(0).toULongLong(), id);
        QCOMPARE(perClient.at(0).at(1).value<Error>(), Error::InvalidMessageType);
        QVERIFY(!server.write(id + 1000, 1, "x"));
        QCOMPARE(perClient.count(), 2);
        QCOMPARE(perClient.at(1).at(0).toULongLong(), id + 1000);
        QCOMPARE(perClient.at(1).at(1).value<Error>(), Error::NotConnected);
        QCOMPARE(serverErrors.count(), 0);
        QCOMPARE(server.error(), Error::NoError);
        // A broadcast of a reserved type concerns no client: the server's error.
        QCOMPARE(server.broadcast(0, "x"), 0);
        QCOMPARE(server.error(), Error::InvalidMessageType);
        QCOMPARE(serverErrors.count(), 1);
        // The refused calls did not harm the connection.
        QSignalSpy got(&server, &Server::messageReceived);
        QVERIFY(client.write(1, "still fine"));
        QVERIFY(got.wait(10000));
        QCOMPARE(client.status(), Status::Connected);
    }

    void oversizedWriteRefused_data() { addTransportRows(); }

    void oversizedWriteRefused()
    {
        QFETCH(QString, transport);
        ServerConfig config;
        config.maxMessageSize = 2048;
        Server server(listenAddress(transport, "oversized"), config);
        QSignalSpy got(&server, &Server::messageReceived);
        QVERIFY(server.listen());
        Client client(server.listeningAddress());
        QVERIFY(client.waitForConnected(10s));
        QCOMPARE(client.serverInfo().maxMessageSize, 2048u);
        QVERIFY(!client.write(1, QByteArray(2049, 'x')));
        QCOMPARE(client.error(), Error::MessageTooLarge);
        QVERIFY2(client.errorString().contains(QLatin1String("2049 bytes exceed")), qPrintable(client.errorString()));
        QVERIFY(client.write(1, QByteArray(2048, 'y')));
        QVERIFY(got.wait(10000));
        QCOMPARE(got.at(0).at(0).value<Message>().data.size(), 2048);
        QCOMPARE(client.status(), Status::Connected);
    }

    void smallLimitFallsBackToDefault()
    {
        ServerConfig config;
        config.maxMessageSize = 100;
        QCOMPARE(config.effectiveMaxMessageSize(), ipc::DefaultMaxMessageSize);
        config.maxMessageSize = 1024;
        QCOMPARE(config.effectiveMaxMessageSize(), 1024u);
    }

    void socketOwnerOnlyByDefault()
    {
        const QString name = uniqueName("perm");
        Server server(name);
        QVERIFY(server.listen());
        struct stat info;
        QCOMPARE(::stat(QFile::encodeName(socketPathFor(name)).constData(), &info), 0);
        QVERIFY(S_ISSOCK(info.st_mode));
        QCOMPARE(info.st_mode & 077, 0u);
    }

    void socketWorldAccessWhenUnmasked()
    {
        const QString name = uniqueName("unmask");
        ServerConfig config;
        config.unmaskPermissions = true;
        Server server(name, config);
        QVERIFY(server.listen());
        struct stat info;
        QCOMPARE(::stat(QFile::encodeName(socketPathFor(name)).constData(), &info), 0);
        QCOMPARE(info.st_mode & 0777, 0777u);
    }

    void staleSocketIsReused()
    {
        const QString name = uniqueName("stale");
        QVERIFY(makeStaleSocket(socketPathFor(name)));
        QVERIFY(QFile::exists(socketPathFor(name)));
        Server server(name);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        Client client(name);
        QVERIFY(client.waitForConnected(10s));
    }

    void liveNameConflict()
    {
        const QString name = uniqueName("conflict");
        Server first(name);
        QVERIFY(first.listen());
        Server second(name);
        QSignalSpy errors(&second, &Server::errorOccurred);
        QVERIFY(!second.listen());
        QCOMPARE(second.error(), Error::AddressInUse);
        QCOMPARE(second.status(), Status::Error);
        QCOMPARE(errors.count(), 1);
        QVERIFY2(second.errorString().contains(QLatin1String("address in use")), qPrintable(second.errorString()));
        // The first server still owns the name and serves.
        Client client(name);
        QVERIFY(client.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(first.clientCount(), 1, 10000);
    }

    void regularFileIsNotRemoved()
    {
        const QString name = uniqueName("file");
        QFile file(socketPathFor(name));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("precious");
        file.close();
        Server server(name);
        QVERIFY(!server.listen());
        QCOMPARE(server.error(), Error::AddressInUse);
        QVERIFY(server.errorString().contains(QLatin1String("not a socket")));
        QVERIFY(QFile::exists(socketPathFor(name)));
        QFile::remove(socketPathFor(name));
    }

    void invalidAddresses()
    {
        Server server{QString()};
        QVERIFY(!server.listen());
        QCOMPARE(server.error(), Error::InvalidAddress);
        QVERIFY(server.errorString().contains(QLatin1String("empty")));

        Client client(QStringLiteral("no/slashes"));
        QCOMPARE(client.status(), Status::Error);
        QCOMPARE(client.error(), Error::InvalidAddress);
        QVERIFY(!client.waitForConnected(100ms));
        QVERIFY(!client.write(1, "x"));
    }

    void closeDuringConnect()
    {
        Client client(uniqueName("never"), quickRetry());
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Connecting, 10000);
        QSignalSpy statuses(&client, &Client::statusChanged);
        client.close();
        QCOMPARE(client.status(), Status::Closed);
        QCOMPARE(statuses.count(), 2); // Closing, Closed
        QTRY_VERIFY_WITH_TIMEOUT(client.findChildren<ipc::Stream *>().isEmpty(), 10000);
        QVERIFY(!client.waitForConnected(50ms)); // no attempt runs any more
        QCOMPARE(client.status(), Status::Closed);
    }

    void closeDuringHandshake()
    {
        // A listener that accepts and never speaks keeps the client mid-handshake.
        const QString name = uniqueName("hsclose");
        QLocalServer silent;
        QVERIFY(silent.listen(socketPathFor(name)));
        QSignalSpy accepting(&silent, &QLocalServer::newConnection);
        Client client(name);
        QVERIFY(accepting.wait(10000));
        QLocalSocket *accepted = silent.nextPendingConnection();
        QSignalSpy peerGone(accepted, &QLocalSocket::disconnected);
        QCOMPARE(client.status(), Status::Connecting);
        QCOMPARE(client.findChildren<ipc::Stream *>().size(), 1);
        client.close();
        QCOMPARE(client.status(), Status::Closed);
        QTRY_VERIFY_WITH_TIMEOUT(client.findChildren<ipc::Stream *>().isEmpty(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(peerGone.count(), 1, 10000);
    }

    void serverCloseIsCleanAndClientsReconnect()
    {
        const QString name = uniqueName("srvclose");
        Server server(name);
        QVERIFY(server.listen());
        Client client(name, quickRetry());
        QVERIFY(client.waitForConnected(10s));
        QSignalSpy disconnected(&client, &Client::disconnected);
        server.close();
        QCOMPARE(server.status(), Status::Closed);
        QVERIFY(!QFile::exists(socketPathFor(name)));
        QVERIFY(disconnected.wait(10000));
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Reconnecting, 10000);
        QVERIFY(server.listen());
        QVERIFY(client.waitForConnected(10s));
    }

    void maxClients()
    {
        const QString name = uniqueName("full");
        ServerConfig config;
        config.maxClients = 1;
        Server server(name, config);
        QSignalSpy refused(&server, &Server::clientErrorOccurred);
        QVERIFY(server.listen());
        Client first(name);
        QVERIFY(first.waitForConnected(10s));
        Client second(name, quickRetry());
        QSignalSpy secondErrors(&second, &Client::errorOccurred);
        QVERIFY(refused.wait(10000));
        QCOMPARE(refused.at(0).at(1).value<Error>(), Error::ServerFull);
        QCOMPARE(second.status(), Status::Connecting); // it keeps trying
        first.close();
        QVERIFY(second.waitForConnected(10s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
    }

    void waitForMessageKeepsBurst()
    {
        const QString name = uniqueName("burst");
        Server server(name);
        QVERIFY(server.listen());
        connect(&server, &Server::clientConnected, &server, [&server](quint64 id) {
            for (int i = 1; i <= 3; ++i)
                server.write(id, i, QByteArray::number(i));
        });
        Client client(name);
        QVERIFY(client.waitForConnected(10s));
        for (int i = 1; i <= 3; ++i)
            QCOMPARE(client.waitForMessage(10s).type, i);
        const Message none = client.waitForMessage(50ms);
        QCOMPARE(none.type, qint32(Message::StatusNotice));
        QVERIFY(none.isNotice());
    }

    void encryptionRequiredRefusesPlainServer()
    {
        const QString name = uniqueName("required");
        Server server(name, plainServer());
        QSignalSpy serverErrors(&server, &Server::clientErrorOccurred);
        QVERIFY(server.listen());
        Client client(name); // encryptionRequired defaults to true
        QSignalSpy errors(&client, &Client::errorOccurred);
        QVERIFY(errors.wait(10000));
        QCOMPARE(client.error(), Error::EncryptionRequired);
        QCOMPARE(client.status(), Status::Error);
        QVERIFY(client.errorString().contains(QLatin1String("offers no encryption")));
        QVERIFY(serverErrors.wait(10000) || serverErrors.count() == 1);
        QCOMPARE(serverErrors.at(0).at(1).value<Error>(), Error::EncryptionRequired);
        QCOMPARE(server.clientCount(), 0);
    }

    void optionalEncryptionAcceptsEither()
    {
        const QString name = uniqueName("either");
        Server server(name); // encrypted
        QVERIFY(server.listen());
        Client client(name, plainClient()); // does not require it
        QVERIFY(client.waitForConnected(10s));
        QVERIFY(client.encryption().isEncrypted());
    }

    void preSharedKey_data()
    {
        QTest::addColumn<QString>("transport");
        QTest::addColumn<QByteArray>("serverKey");
        QTest::addColumn<QByteArray>("clientKey");
        QTest::addColumn<Error>("expected");
        const QByteArray key(32, 'k');
        for (const char *t : {"local", "tcp"}) {
            const QString transport = QString::fromLatin1(t);
            QTest::addRow("%s, same key", t) << transport << key << key << Error::NoError;
            QTest::addRow("%s, wrong key", t) << transport << key << QByteArray(32, 'w') << Error::HandshakeFailed;
            QTest::addRow("%s, client has none", t) << transport << key << QByteArray() << Error::PreSharedKeyMismatch;
            QTest::addRow("%s, server has none", t) << transport << QByteArray() << key << Error::PreSharedKeyMismatch;
        }
    }

    void preSharedKey()
    {
        QFETCH(QString, transport);
        QFETCH(QByteArray, serverKey);
        QFETCH(QByteArray, clientKey);
        QFETCH(Error, expected);
        ServerConfig serverConfig;
        serverConfig.preSharedKey = serverKey;
        Server server(listenAddress(transport, "psk"), serverConfig);
        QSignalSpy serverGot(&server, &Server::messageReceived);
        QSignalSpy serverErrors(&server, &Server::clientErrorOccurred);
        QVERIFY(server.listen());
        const QString name = server.listeningAddress();
        ClientConfig clientConfig;
        clientConfig.preSharedKey = clientKey;
        Client client(name, clientConfig);
        client.write(1, "secret"); // queued; must never arrive with a bad key
        if (expected == Error::NoError) {
            QVERIFY(client.waitForConnected(10s));
            QCOMPARE(client.encryption().protocol, QStringLiteral("Noise_NNpsk0_25519_AESGCM_SHA256"));
            QVERIFY(client.encryption().preSharedKeyAuthenticated);
            QVERIFY(serverGot.wait(10000));
            QCOMPARE(server.clients().first().encryption.preSharedKeyAuthenticated, true);
            return;
        }
        QTRY_COMPARE_WITH_TIMEOUT(client.status(), Status::Error, 10000);
        QCOMPARE(client.error(), expected);
        QTRY_COMPARE_WITH_TIMEOUT(serverErrors.count(), 1, 10000);
        QCOMPARE(serverErrors.at(0).at(1).value<Error>(), expected);
        QVERIFY2(!serverErrors.at(0).at(2).toString().isEmpty(), "server names the cause");
        QCOMPARE(serverGot.count(), 0);
        QCOMPARE(server.clientCount(), 0);
    }

    void badPreSharedKeyLength()
    {
        ServerConfig config;
        config.preSharedKey = "short";
        Server server(uniqueName("pskshort"), config);
        QVERIFY(!server.listen());
        QVERIFY(server.errorString().contains(QLatin1String("32 bytes")));
        ClientConfig clientConfig;
        clientConfig.preSharedKey = "short";
        Client client(uniqueName("pskshort"), clientConfig);
        QCOMPARE(client.status(), Status::Error);
        QVERIFY(client.errorString().contains(QLatin1String("32 bytes")));
    }

    void tcpEcho_data()
    {
        QTest::addColumn<QString>("host");
        QTest::newRow("ipv4") << "127.0.0.1";
        QTest::newRow("ipv6") << "[::1]";
    }

    void tcpEcho()
    {
        QFETCH(QString, host);
        Server server(QStringLiteral("tcp://%1:0").arg(host));
        echoEverything(server);
        QVERIFY2(server.listen(), qPrintable(server.errorString()));
        const QString bound = server.listeningAddress();
        QVERIFY(!bound.endsWith(QLatin1String(":0")));
        Client client(bound);
        QVERIFY2(client.waitForConnected(10s), qPrintable(client.errorString()));
        QVERIFY(client.encryption().isEncrypted());
        QVERIFY(client.write(5, "over tcp"));
        const Message reply = client.waitForMessage(10s);
        QCOMPARE(reply.data, QByteArrayLiteral("over tcp"));
    }

    void tcpPortInUse()
    {
        Server first(QStringLiteral("tcp://127.0.0.1:0"));
        QVERIFY(first.listen());
        Server second(first.listeningAddress());
        QVERIFY(!second.listen());
        QCOMPARE(second.error(), Error::AddressInUse);
        QVERIFY(second.errorString().contains(QLatin1String("in use")));
    }

    // A Server moved to a worker thread serves a Client in this thread.
    void serverInWorkerThread()
    {
        QThread worker;
        worker.start();
        const QString name = uniqueName("thread");
        auto *server = new Server(name);
        server->moveToThread(&worker);
        bool listening = false;
        QMetaObject::invokeMethod(server, [&] {
            listening = server->listen();
            QObject::connect(server, &Server::messageReceived, server, [server](const Message &m) {
                server->write(m.clientId, m.type, m.data + " from " + QByteArray::number(quintptr(QThread::currentThread())));
            });
        }, Qt::BlockingQueuedConnection);
        QVERIFY(listening);
        Client client(name);
        QVERIFY(client.waitForConnected(10s));
        client.write(1, "hi");
        const Message reply = client.waitForMessage(10s);
        QCOMPARE(reply.data, QByteArray("hi from ") + QByteArray::number(quintptr(&worker)));
        QMetaObject::invokeMethod(server, [server] { delete server; }, Qt::BlockingQueuedConnection);
        worker.quit();
        worker.wait();
    }

    // Binds all interfaces for a moment (no traffic): the warning must name the risk.
    void warnsWhenExposedWithoutKey()
    {
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("without a pre-shared key: anyone who can reach this port can connect")));
        Server exposed(QStringLiteral("tcp://0.0.0.0:0"));
        QVERIFY(exposed.listen());
        exposed.close();
        QTest::failOnWarning(QRegularExpression(QStringLiteral("without a pre-shared key")));
        ServerConfig keyed;
        keyed.preSharedKey = QByteArray(32, 'k');
        Server guarded(QStringLiteral("tcp://0.0.0.0:0"), keyed);
        QVERIFY(guarded.listen());
    }

    // Slots may act on the server or client from inside its signals.
    void dropClientFromConnectedSlot()
    {
        const QString name = uniqueName("reject");
        Server server(name);
        QSignalSpy gone(&server, &Server::clientDisconnected);
        QSignalSpy encrypted(&server, &Server::clientEncrypted);
        connect(&server, &Server::clientConnected, &server, [&server](quint64 id) { server.disconnectClient(id); });
        QVERIFY(server.listen());
        Client client(name, quickRetry());
        QVERIFY(gone.wait(10000));
        QCOMPARE(encrypted.count(), 0); // dropped before it could be announced
        QCOMPARE(server.clientCount(), 0);
    }

    void writeFromDisconnectedSlotIsQueued()
    {
        const QString name = uniqueName("dropwrite");
        auto server = std::make_unique<Server>(name);
        QVERIFY(server->listen());
        Client client(name, quickRetry());
        QVERIFY(client.waitForConnected(10s));
        bool accepted = false;
        Status seen = Status::Connected;
        connect(&client, &Client::disconnected, &client, [&] {
            seen = client.status();
            accepted = client.write(1, "written while going down");
        });
        QSignalSpy disconnected(&client, &Client::disconnected);
        server.reset();
        QVERIFY(disconnected.wait(10000));
        QCOMPARE(seen, Status::Reconnecting);
        QVERIFY(accepted);
        QCOMPARE(client.queuedMessageCount(), 1);
        server = std::make_unique<Server>(name);
        QSignalSpy got(server.get(), &Server::messageReceived);
        QVERIFY(server->listen());
        QVERIFY(got.wait(10000));
        QCOMPARE(got.at(0).at(0).value<Message>().data, QByteArray("written while going down"));
    }

    void queuedMessagesPrecedeWritesFromConnectedSlot()
    {
        const QString name = uniqueName("order");
        Client client(name, quickRetry());
        QVERIFY(client.write(1, "queued first"));
        connect(&client, &Client::connected, &client, [&client] { client.write(2, "written on connect"); });
        Server server(name);
        QSignalSpy got(&server, &Server::messageReceived);
        QVERIFY(server.listen());
        QTRY_COMPARE_WITH_TIMEOUT(got.count(), 2, 10000);
        QCOMPARE(got.at(0).at(0).value<Message>().type, 1);
        QCOMPARE(got.at(1).at(0).value<Message>().type, 2);
    }

    void preSharedKeyNeedsEncryption()
    {
        ServerConfig config;
        config.encryption = false;
        config.preSharedKey = QByteArray(32, 'k');
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("needs encryption")));
        Server server(uniqueName("pskplain"), config);
        // Found by the constructor: the status and the cause hold it at once.
        QCOMPARE(server.status(), Status::Error);
        QCOMPARE(server.error(), Error::InvalidConfiguration);
        QSignalSpy statuses(&server, &Server::statusChanged);
        QVERIFY(!server.listen());
        QVERIFY2(server.errorString().contains(QLatin1String("needs encryption")), qPrintable(server.errorString()));
        QCOMPARE(server.error(), Error::InvalidConfiguration);
        QCOMPARE(statuses.count(), 0); // it was in Error all along
    }

    // Without a key, a server vanishing mid-handshake is a lost connection,
    // not a verdict: the client keeps trying.
    void serverClosingMidHandshakeIsRetried()
    {
        const QString name = uniqueName("midhs");
        QLocalServer flaky;
        QVERIFY(flaky.listen(socketPathFor(name)));
        int accepted = 0;
        connect(&flaky, &QLocalServer::newConnection, &flaky, [&] {
            QLocalSocket *socket = flaky.nextPendingConnection();
            ++accepted;
            socket->write(QByteArray("\x03\x01", 2)); // native, Noise NN
            connect(socket, &QLocalSocket::readyRead, socket, [socket] { socket->abort(); });
        });
        Client client(name, quickRetry());
        QTRY_VERIFY_WITH_TIMEOUT(accepted >= 3, 10000);
        QVERIFY(client.status() == Status::Connecting);
        QVERIFY(client.error() != Error::HandshakeFailed);
    }

    void hugeLimitIsCapped()
    {
        const QString name = uniqueName("huge");
        ServerConfig config;
        config.maxMessageSize = 0xFFFFFFFFu;
        QCOMPARE(config.effectiveMaxMessageSize(), ipc::MaximumMaxMessageSize);
        Server server(name, config);
        echoEverything(server);
        QVERIFY(server.listen());
        ClientConfig clientConfig;
        clientConfig.maxMessageSize = 0xFFFFFFFFu;
        Client client(name, clientConfig);
        QVERIFY(client.waitForConnected(10s));
        client.write(1, "fits");
        QCOMPARE(client.waitForMessage(10s).data, QByteArray("fits"));
    }

    // Deleting a Client from its own messageReceived() is what applications
    // do; the socket under it must outlive the signal (checked under ASan).
    void deleteClientFromMessageSlot_data()
    {
        QTest::addColumn<int>("size");
        QTest::newRow("small") << 10;
        QTest::newRow("large, read straight into its buffer") << (1 << 20);
    }

    void deleteClientFromMessageSlot()
    {
        QFETCH(int, size);
        const QString name = uniqueName("delete");
        Server server(name, plainServer());
        QVERIFY(server.listen());
        connect(&server, &Server::clientConnected, &server,
                [&server, size](quint64 id) { server.write(id, 1, QByteArray(size, 'z')); });
        auto *client = new Client(name, plainClient());
        bool deleted = false;
        connect(client, &Client::messageReceived, client, [&](const Message &m) {
            QCOMPARE(m.data.size(), size);
            delete client;
            deleted = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(deleted, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 0, 10000);
    }

    void statusStrings()
    {
        QCOMPARE(ipc::statusString(Status::NotConnected), QStringLiteral("Not Connected"));
        QCOMPARE(ipc::statusString(Status::Reconnecting), QStringLiteral("Reconnecting"));
        QCOMPARE(int(Status::Disconnected), 9);
    }
};

QTEST_MAIN(TestLocal)
#include "tst_local.moc"
