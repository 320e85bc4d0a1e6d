// A second process for the multi-process tests. Modes:
//   server ADDRESS [--plain]                   echo server; prints "listening <addr>"
//   client ADDRESS COUNT [--plain] [--timeout MS]
//                                              sends COUNT messages, checks each echo
//   log [sec]                                  one ipc::log and one ipc::sec line
//   idle-client ADDRESS [--heartbeat MS]       connects, prints "connected", stays
// Prints one result line and exits 0 on success, 1 on failure.
#include <ipc/client.h>
#include <ipc/log.h>
#include <ipc/server.h>

#include <QCoreApplication>
#include <QTextStream>

using namespace std::chrono_literals;

static int heartbeatMs = 0;

static int runServer(const QString &address, bool plain)
{
    ipc::ServerConfig config;
    config.encryption = !plain;
    config.heartbeatInterval = std::chrono::milliseconds(heartbeatMs);
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

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const bool plain = args.contains(QStringLiteral("--plain"));
    const int timeoutIndex = args.indexOf(QStringLiteral("--timeout"));
    const int timeoutMs = timeoutIndex > 0 ? args.value(timeoutIndex + 1).toInt() : 10000;
    const int heartbeatIndex = args.indexOf(QStringLiteral("--heartbeat"));
    heartbeatMs = heartbeatIndex > 0 ? args.value(heartbeatIndex + 1).toInt() : 0;
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
    if (args.size() >= 3 && args.at(1) == QLatin1String("server"))
        return runServer(args.at(2), plain);
    if (args.size() >= 4 && args.at(1) == QLatin1String("client"))
        return runClient(args.at(2), args.at(3).toInt(), plain, timeoutMs);
    QTextStream(stderr) << "usage: ipc_test_peer server ADDRESS [--plain] | client ADDRESS COUNT [--plain] [--timeout MS]\n";
    return 2;
}
