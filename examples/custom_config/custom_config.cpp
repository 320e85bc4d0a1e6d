// Custom configuration: a plain server with a 1 KiB message limit whose
// socket every local user may open, and a client that gives up after 5 s
// and retries every 2 s. Both live in this one program, as in golang-ipc's
// second example; it exits once the client has left after the first exchange.
#include <ipc/client.h>
#include <ipc/server.h>

#include <QCoreApplication>
#include <QTextStream>

using namespace std::chrono_literals;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString name = app.arguments().value(1, QStringLiteral("custom_server"));
    QTextStream out(stdout);

    ipc::ServerConfig serverConfig;
    serverConfig.encryption = false;
    serverConfig.maxMessageSize = 1024;
    serverConfig.unmaskPermissions = true;
    ipc::Server server(name, serverConfig);
    if (!server.listen()) {
        QTextStream(stderr) << server.errorString() << Qt::endl;
        return 1;
    }

    ipc::ClientConfig clientConfig;
    clientConfig.encryptionRequired = false;
    clientConfig.timeout = 5s;
    clientConfig.retryTimer = ipc::RetryTimer::fixed(2s);
    ipc::Client client(name, clientConfig);

    QObject::connect(&server, &ipc::Server::messageReceived, [&](const ipc::Message &message) {
        out << "Server received: " << QString::fromUtf8(message.data) << Qt::endl;
        server.write(message.clientId, 2, "Hello, Custom Client!");
    });
    QObject::connect(&client, &ipc::Client::messageReceived, [&](const ipc::Message &message) {
        out << "Client received: " << QString::fromUtf8(message.data) << Qt::endl;
        client.disconnectFromServer(); // acknowledges the reply, then says goodbye
    });
    // Everything was confirmed both ways once the server hears the goodbye.
    QObject::connect(&server, &ipc::Server::clientDisconnected, &app, &QCoreApplication::quit);
    // An error while unconnected means the client gave up (a timeout, or a
    // mismatch no retry fixes); a refused write leaves it connected.
    QObject::connect(&client, &ipc::Client::errorOccurred, [&] {
        if (client.state() == ipc::Client::State::Unconnected) {
            QTextStream(stderr) << client.errorString() << Qt::endl;
            app.exit(1);
        }
    });

    client.write(1, "Hello, Custom Server!");
    // A message over the server's 1024-byte limit is refused with a reason.
    QObject::connect(&client, &ipc::Client::connected, [&] {
        if (!client.write(1, QByteArray(2000, 'x')))
            out << "Refused as expected: " << client.errorString() << Qt::endl;
    });
    return app.exec();
}
