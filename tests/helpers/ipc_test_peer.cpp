// A second process for the multi-process tests. Modes:
//   server ADDRESS [--plain] [--max-size N]    echo server; prints "listening <addr>"
//   client ADDRESS COUNT [--plain] [--timeout MS]
//                                              sends COUNT messages, checks each echo
//   log [sec]                                  one ipc::log and one ipc::sec line
//   idle-client ADDRESS [--heartbeat MS]       connects, prints "connected", stays
//   sink ADDRESS [--delay-us N] [--echo]       server; prints each message's data on
//                                              a line as it is delivered (unbuffered,
//                                              so a SIGKILL loses no line), taking N
//                                              microseconds per message; --echo sends
//                                              each message back
//   burst ADDRESS COUNT SIZE [--no-wait]       connects, writes COUNT messages of SIZE
//                                              bytes, then disconnectFromServer() and
//                                              waitForDisconnected() (or, --no-wait,
//                                              nothing) and returns from main()
//   crowd ADDRESS COUNT                        COUNT clients connect at once and each
//                                              sends one message; prints "ok COUNT"
//                                              when every echo is back (or "error ..."),
//                                              then stays until killed
// Prints one result line and exits 0 on success, 1 on failure.
#include <ipc/client.h>
#include <ipc/log.h>
#include <ipc/server.h>

#include <QCoreApplication>
#include <QTextStream>
#include <QThread>

#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <vector>

using namespace std::chrono_literals;

static int heartbeatMs = 0;
static int maxSize = 0; // 0: the default

static int runServer(const QString &address, bool plain)
{
    ipc::ServerConfig config;
    config.encryption = !plain;
    config.heartbeatInterval = std::chrono::milliseconds(heartbeatMs);
    if (maxSize > 0)
        config.maxMessageSize = maxSize;
    ipc::Server server(address, config);
    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&](const ipc::Message &m) {
        server.write(m.clientId, m.type, m.data);
    });
    QTextStream out(stdout);
    if (!server.listen()) {
        out << "error " << server.errorString() << Qt::endl;
        return 1;
    }
    out << "listening " << server.listeningAddress() << Qt::endl;
    return QCoreApplication::exec();
}

static int runClient(const QString &address, int count, bool plain, int timeoutMs)
{
    ipc::ClientConfig config;
    config.encryptionRequired = !plain;
    config.timeout = std::chrono::milliseconds(timeoutMs);
    ipc::Client client(address, config);
    QTextStream out(stdout);
    if (!client.waitForConnected(std::chrono::milliseconds(timeoutMs) + 5s)) {
        out << "error " << client.errorString() << Qt::endl;
        return 1;
    }
    for (int i = 1; i <= count; ++i)
        client.write(i, QByteArray("message ") + QByteArray::number(i));
    for (int i = 1; i <= count; ++i) {
        const ipc::Message reply = client.waitForMessage(30s);
        if (reply.type != i || reply.data != QByteArray("message ") + QByteArray::number(i)) {
            out << "error reply " << i << ": type " << reply.type << " " << reply.data << Qt::endl;
            return 1;
        }
    }
    out << "ok " << count << " " << client.encryption().protocol << Qt::endl;
    return 0;
}

// A deliberately slow consumer whose record of what it delivered survives a
// SIGKILL: each line goes to the pipe before the slot returns (and so before
// the message is acknowledged).
static int runSink(const QString &address, int delayUs, bool echo)
{
    ipc::Server server(address);
    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&](const ipc::Message &m) {
        if (delayUs > 0)
            QThread::usleep(ulong(delayUs));
        const QByteArray line = m.data + '\n';
        if (::write(STDOUT_FILENO, line.constData(), size_t(line.size())) != line.size())
            QCoreApplication::exit(1);
        if (echo)
            server.write(m.clientId, m.type, m.data);
    });
    if (!server.listen()) {
        QTextStream(stdout) << "error " << server.errorString() << Qt::endl;
        return 1;
    }
    const QByteArray ready = "listening " + server.listeningAddress().toUtf8() + '\n';
    if (::write(STDOUT_FILENO, ready.constData(), size_t(ready.size())) != ready.size())
        return 1;
    return QCoreApplication::exec();
}

static int runBurst(const QString &address, int count, int size, bool wait)
{
    ipc::ClientConfig config;
    config.writeQueueLimit = count;
    ipc::Client client(address, config);
    QTextStream out(stdout);
    if (!client.waitForConnected(30s)) {
        out << "error " << client.errorString() << Qt::endl;
        return 1;
    }
    int dropped = 0;
    QObject::connect(&client, &ipc::Client::messagesDropped, &client, [&](int n) { dropped += n; });
    for (int i = 1; i <= count; ++i) {
        QByteArray data = QByteArray::number(i);
        data.append(QByteArray(size - data.size(), 'x'));
        if (!client.write(1, data)) {
            out << "error write " << i << ": " << client.errorString() << Qt::endl;
            return 1;
        }
    }
    if (!wait)
        return 0; // the Client's destructor names what it could not confirm
    client.disconnectFromServer();
    const bool done = client.waitForDisconnected(120s);
    out << (done && dropped == 0 ? "ok" : "error") << " sent " << count << " dropped " << dropped << Qt::endl;
    return done && dropped == 0 ? 0 : 1;
}

// Many clients in one process, all started before any connects.
static int runCrowd(const QString &address, int count)
{
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max; // a descriptor per client
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ipc::ClientConfig config;
    config.timeout = 300s;
    config.handshakeTimeout = 120s;
    std::vector<std::unique_ptr<ipc::Client>> clients;
    int echoed = 0;
    QTextStream out(stdout);
    for (int i = 0; i < count; ++i) {
        clients.push_back(std::make_unique<ipc::Client>(address, config));
        ipc::Client *client = clients.back().get();
        QObject::connect(client, &ipc::Client::messageReceived, client, [&, i](const ipc::Message &m) {
            if (m.data != QByteArray::number(i)) {
                out << "error client " << i << " got " << m.data << Qt::endl;
                QCoreApplication::exit(1);
            } else if (++echoed == count) {
                out << "ok " << count << Qt::endl;
            }
        });
        QObject::connect(client, &ipc::Client::stateChanged, client, [&, client, i](ipc::Client::State state) {
            if (state == ipc::Client::State::Unconnected) { // given up
                out << "error client " << i << ": " << client->errorString() << Qt::endl;
                QCoreApplication::exit(1);
            }
        });
        client->write(1, QByteArray::number(i));
    }
    return QCoreApplication::exec();
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const bool plain = args.contains(QStringLiteral("--plain"));
    const int timeoutIndex = args.indexOf(QStringLiteral("--timeout"));
    const int timeoutMs = timeoutIndex > 0 ? args.value(timeoutIndex + 1).toInt() : 10000;
    const int heartbeatIndex = args.indexOf(QStringLiteral("--heartbeat"));
    heartbeatMs = heartbeatIndex > 0 ? args.value(heartbeatIndex + 1).toInt() : 0;
    const int maxSizeIndex = args.indexOf(QStringLiteral("--max-size"));
    maxSize = maxSizeIndex > 0 ? args.value(maxSizeIndex + 1).toInt() : 0;
    if (args.size() >= 2 && args.at(1) == QLatin1String("log")) {
        ipc::enableSecretLoggingFromArguments(argc, argv);
        ipc::log(QStringLiteral("plain message"));
        ipc::sec(QStringLiteral("the secret is 42"));
        return 0;
    }
    if (args.size() >= 3 && args.at(1) == QLatin1String("idle-client")) {
        ipc::ClientConfig config;
        config.heartbeatInterval = std::chrono::milliseconds(heartbeatMs);
        ipc::Client client(args.at(2), config);
        if (!client.waitForConnected(10s))
            return 1;
        QTextStream(stdout) << "connected" << Qt::endl;
        return QCoreApplication::exec();
    }
    if (args.size() >= 3 && args.at(1) == QLatin1String("sink")) {
        const int delayIndex = args.indexOf(QStringLiteral("--delay-us"));
        return runSink(args.at(2), delayIndex > 0 ? args.value(delayIndex + 1).toInt() : 0,
                       args.contains(QStringLiteral("--echo")));
    }
    if (args.size() >= 5 && args.at(1) == QLatin1String("burst"))
        return runBurst(args.at(2), args.at(3).toInt(), args.at(4).toInt(), !args.contains(QStringLiteral("--no-wait")));
    if (args.size() >= 4 && args.at(1) == QLatin1String("crowd"))
        return runCrowd(args.at(2), args.at(3).toInt());
    if (args.size() >= 3 && args.at(1) == QLatin1String("server"))
        return runServer(args.at(2), plain);
    if (args.size() >= 4 && args.at(1) == QLatin1String("client"))
        return runClient(args.at(2), args.at(3).toInt(), plain, timeoutMs);
    QTextStream(stderr) << "usage: ipc_test_peer server ADDRESS [--plain] | client ADDRESS COUNT [--plain] [--timeout MS]\n";
    return 2;
}
