// A second process for the multi-process tests. Modes:
//   server ADDRESS [--plain] [--max-size N] [--psk HEX]
//                                              echo server; prints "listening <addr>".
//                                              Requests: type 98 gets no answer, 99 an
//                                              error reply (code 42, "refused: DATA"),
//                                              others a reply with their type and data
//   client ADDRESS COUNT [--plain] [--timeout MS] [--psk HEX] [--payload N]
//                                              sends COUNT messages (N more bytes each),
//                                              checks each echo
//   requests ADDRESS [--psk HEX]               asks an echo server that answers requests
//                                              as `server` does: a reply, an error
//                                              reply (42) and no reply (a timeout)
//   limits ADDRESS SIZE                        a write of SIZE + 1 bytes is refused
//                                              (MessageTooLarge), one of SIZE echoed
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
static QByteArray preSharedKey;
static int payload = 0; // extra bytes per message of `client`

static int runServer(const QString &address, bool plain)
{
    ipc::ServerConfig config;
    config.encryption = !plain;
    config.preSharedKey = preSharedKey;
    config.heartbeatInterval = std::chrono::milliseconds(heartbeatMs);
    if (maxSize > 0)
        config.maxMessageSize = maxSize;
    ipc::Server server(address, config);
    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&](const ipc::Message &m) {
        if (!m.isRequest())
            server.write(m.clientId, m.type, m.data);
        else if (m.type == 99)
            server.replyError(m, 42, QStringLiteral("refused: ") + QString::fromUtf8(m.data));
        else if (m.type != 98)
            server.reply(m, m.type, m.data);
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
    config.preSharedKey = preSharedKey;
    config.timeout = std::chrono::milliseconds(timeoutMs);
    ipc::Client client(address, config);
    QTextStream out(stdout);
    if (!client.waitForConnected(std::chrono::milliseconds(timeoutMs) + 5s)) {
        out << "error " << client.errorString() << Qt::endl;
        return 1;
    }
    const auto message = [](int i) {
        return QByteArray("message ") + QByteArray::number(i) + QByteArray(payload, 'p');
    };
    for (int i = 1; i <= count; ++i)
        client.write(i, message(i));
    for (int i = 1; i <= count; ++i) {
        const ipc::Message reply = client.waitForMessage(30s);
        if (reply.type != i || reply.data != message(i)) {
            out << "error reply " << i << ": type " << reply.type << " " << reply.data << Qt::endl;
            return 1;
        }
    }
    out << "ok " << count << " " << client.encryption().protocol << Qt::endl;
    return 0;
}

static ipc::Reply ask(ipc::Client &client, qint32 type, const QByteArray &data, std::chrono::milliseconds timeout)
{
    QFuture<ipc::Reply> answer = client.request(type, data, timeout);
    while (!answer.isFinished())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    return answer.result();
}

static int runRequests(const QString &address)
{
    ipc::ClientConfig config;
    config.preSharedKey = preSharedKey;
    ipc::Client client(address, config);
    QTextStream out(stdout);
    if (!client.waitForConnected(15s)) {
        out << "error " << client.errorString() << Qt::endl;
        return 1;
    }
    const ipc::Reply reply = ask(client, 7, "2+3", 30s);
    if (!reply.isOk() || reply.message.type != 7 || reply.message.data != "2+3") {
        out << "error reply: " << reply.errorString << Qt::endl;
        return 1;
    }
    const ipc::Reply refused = ask(client, 99, "this", 30s);
    if (refused.error != ipc::Error::RemoteError || refused.errorCode != 42
        || refused.errorString != QLatin1String("refused: this")) {
        out << "error error-reply: " << int(refused.error) << " " << refused.errorCode << " "
            << refused.errorString << Qt::endl;
        return 1;
    }
    const ipc::Reply unanswered = ask(client, 98, "never", 300ms);
    if (unanswered.error != ipc::Error::Timeout) {
        out << "error timeout: " << int(unanswered.error) << Qt::endl;
        return 1;
    }
    out << "ok requests" << Qt::endl;
    return 0;
}

static int runLimits(const QString &address, int size)
{
    ipc::Client client(address);
    QTextStream out(stdout);
    if (!client.waitForConnected(15s)) {
        out << "error " << client.errorString() << Qt::endl;
        return 1;
    }
    if (client.write(1, QByteArray(size + 1, 'x')) || client.error() != ipc::Error::MessageTooLarge) {
        out << "error: a write over the peer's maximum was not refused (" << client.errorString() << ")"
            << Qt::endl;
        return 1;
    }
    const QByteArray largest(size, 'y');
    if (!client.write(2, largest) || client.waitForMessage(30s).data != largest) {
        out << "error: the largest message did not come back" << Qt::endl;
        return 1;
    }
    out << "ok limits" << Qt::endl;
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
    const int payloadIndex = args.indexOf(QStringLiteral("--payload"));
    payload = payloadIndex > 0 ? args.value(payloadIndex + 1).toInt() : 0;
    const int pskIndex = args.indexOf(QStringLiteral("--psk"));
    if (pskIndex > 0)
        preSharedKey = QByteArray::fromHex(args.value(pskIndex + 1).toLatin1());
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
    if (args.size() >= 3 && args.at(1) == QLatin1String("requests"))
        return runRequests(args.at(2));
    if (args.size() >= 4 && args.at(1) == QLatin1String("limits"))
        return runLimits(args.at(2), args.at(3).toInt());
    if (args.size() >= 3 && args.at(1) == QLatin1String("server"))
        return runServer(args.at(2), plain);
    if (args.size() >= 4 && args.at(1) == QLatin1String("client"))
        return runClient(args.at(2), args.at(3).toInt(), plain, timeoutMs);
    QTextStream(stderr) << "usage: ipc_test_peer server ADDRESS [--plain] | client ADDRESS COUNT [--plain] [--timeout MS]\n";
    return 2;
}
