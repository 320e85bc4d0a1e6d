// A Qt program that golang-ipc (Go) and node-ipc-client (Node.js) programs
// talk to without changes, and that talks to a golang-ipc server.
//   go_interop serve NAME [--plain]    a golang-ipc v2 server at /tmp/NAME.sock
//                                      that answers every message with "echo: "
//   go_interop connect NAME MESSAGE    sends MESSAGE (type 1) to a golang-ipc
//                                      server and prints its first answer
// See README.md here for the Go and Node.js programs.
#include <ipc/client.h>
#include <ipc/server.h>

#include <QCoreApplication>
#include <QTextStream>

using namespace std::chrono_literals;

static int serve(const QString &name, bool plain)
{
    ipc::ServerConfig config;
    config.protocol = ipc::Protocol::GolangIpcV2;
    config.encryption = !plain;
    ipc::Server server(name, config);
    QTextStream out(stdout);
    QObject::connect(&server, &ipc::Server::clientConnected, &server, [&](quint64 id) {
        const ipc::EncryptionInfo encryption = server.clientInfo(id).encryption;
        out << "client " << id << " connected ("
            << (encryption.isEncrypted() ? encryption.protocol + QStringLiteral(", weak: no authentication")
                                         : QStringLiteral("plain"))
            << ")" << Qt::endl;
    });
    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&](const ipc::Message &m) {
        out << "client " << m.clientId << " sent type " << m.type << ": " << m.data << Qt::endl;
        server.write(m.clientId, m.type, "echo: " + m.data);
    });
    QObject::connect(&server, &ipc::Server::clientErrorOccurred, &server,
                     [&](quint64 id, ipc::Error, const QString &why) { out << "client " << id << ": " << why << Qt::endl; });
    if (!server.listen()) {
        out << server.errorString() << Qt::endl;
        return 1;
    }
    out << "golang-ipc v2 server on " << server.listeningAddress() << Qt::endl;
    return QCoreApplication::exec();
}

static int connectTo(const QString &name, const QByteArray &message)
{
    ipc::ClientConfig config;
    config.timeout = 10s;
    ipc::Client client(name, config); // follows the server: native or golang-ipc v2
    QTextStream out(stdout);
    client.write(1, message);
    if (!client.waitForConnected(15s)) {
        out << "failed: " << client.errorString() << Qt::endl;
        return 1;
    }
    out << "connected over " << client.encryption().protocol << Qt::endl;
    const ipc::Message reply = client.waitForMessage(15s);
    if (reply.isNotice()) {
        out << "no answer: " << reply.data << Qt::endl;
        return 1;
    }
    out << "server answered type " << reply.type << ": " << reply.data << Qt::endl;
    return 0;
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() >= 3 && args.at(1) == QLatin1String("serve"))
        return serve(args.at(2), args.contains(QStringLiteral("--plain")));
    if (args.size() >= 4 && args.at(1) == QLatin1String("connect"))
        return connectTo(args.at(2), args.at(3).toUtf8());
    QTextStream(stderr) << "usage: go_interop serve NAME [--plain] | go_interop connect NAME MESSAGE" << Qt::endl;
    return 2;
}
