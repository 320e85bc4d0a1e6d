// Echo client: sends one message and prints the echo.
// Usage: echo_client [name] [text]
#include <ipc/client.h>

#include <QCoreApplication>
#include <QTextStream>

using namespace std::chrono_literals;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString name = app.arguments().value(1, QStringLiteral("echo_server"));
    const QString text = app.arguments().value(2, QStringLiteral("Hello, Server!"));

    ipc::ClientConfig config;
    config.timeout = 10s; // keep retrying while the server starts, then give up
    ipc::Client client(name, config);
    QTextStream out(stdout);

    // Written before the connection exists: queued, then sent in order.
    client.write(1, text.toUtf8());

    const ipc::Message reply = client.waitForMessage(15s);
    if (reply.isNotice()) {
        QTextStream(stderr) << "echo failed: " << QString::fromUtf8(reply.data) << Qt::endl;
        return 1;
    }
    out << "Client received: " << QString::fromUtf8(reply.data) << " (over "
        << client.encryption().protocol << ")" << Qt::endl;
    // Ends the connection once the server has confirmed everything sent.
    client.disconnectFromServer();
    client.waitForDisconnected(5s);
    return 0;
}
