// Echo server: sends every message back to the client it came from.
// Usage: echo_server [name]      (default name: echo_server)
#include <ipc/server.h>

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString name = app.arguments().value(1, QStringLiteral("echo_server"));

    ipc::Server server(name); // encrypted by default
    QTextStream out(stdout);
    QObject::connect(&server, &ipc::Server::clientConnected, [&](quint64 id) {
        out << "Client " << id << " connected ("
            << server.clientInfo(id).encryption.protocol << ")" << Qt::endl;
    });
    QObject::connect(&server, &ipc::Server::messageReceived, [&](const ipc::Message &message) {
        out << "Server received: " << QString::fromUtf8(message.data) << Qt::endl;
        server.write(message.clientId, message.type, message.data);
    });
    if (!server.listen()) {
        QTextStream(stderr) << server.errorString() << Qt::endl;
        return 1;
    }
    out << "Listening on " << server.listeningAddress() << Qt::endl;
    return app.exec();
}
