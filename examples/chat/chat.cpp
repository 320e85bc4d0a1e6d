// A TCP chat between terminals. One runs the room, others join; every line
// typed is sent to everyone else. Encrypted; add a 32-character key to
// authenticate everyone with it.
//   chat host [tcp://127.0.0.1:6969] [KEY]
//   chat join [tcp://127.0.0.1:6969] [KEY]
#include <ipc/client.h>
#include <ipc/server.h>

#include <QCoreApplication>
#include <QMetaEnum>
#include <QSocketNotifier>
#include <QTextStream>

#include <cstdio>
#include <unistd.h>

namespace {

constexpr qint32 ChatLine = 1;

// Calls onLine for every line typed on standard input; quits at its end.
void readLines(QObject *context, std::function<void(const QByteArray &)> onLine)
{
    auto *notifier = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [notifier, onLine] {
        char buffer[4096];
        if (!std::fgets(buffer, sizeof buffer, stdin)) {
            notifier->setEnabled(false);
            QCoreApplication::quit();
            return;
        }
        onLine(QByteArray(buffer).trimmed());
    });
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2 || (args[1] != QLatin1String("host") && args[1] != QLatin1String("join"))) {
        QTextStream(stderr) << "usage: chat host|join [tcp://HOST:PORT] [32-character key]\n";
        return 2;
    }
    const QString address = args.value(2, QStringLiteral("tcp://127.0.0.1:6969"));
    const QByteArray key = args.value(3).toUtf8();
    QTextStream out(stdout);

    if (args[1] == QLatin1String("host")) {
        ipc::ServerConfig config;
        config.preSharedKey = key;
        ipc::Server server(address, config);
        auto relay = [&](quint64 from, const QByteArray &text) {
            for (quint64 id : server.clientIds()) {
                if (id != from)
                    server.write(id, ChatLine, text);
            }
        };
        QObject::connect(&server, &ipc::Server::clientConnected, [&](quint64 id) {
            out << "* " << server.clientInfo(id).peer.processName << " #" << id << " joined" << Qt::endl;
        });
        QObject::connect(&server, &ipc::Server::clientDisconnected, [&](quint64 id) {
            out << "* #" << id << " left" << Qt::endl;
        });
        QObject::connect(&server, &ipc::Server::messageReceived, [&](const ipc::Message &m) {
            const QByteArray line = "#" + QByteArray::number(m.clientId) + ": " + m.data;
            out << line << Qt::endl;
            relay(m.clientId, line);
        });
        if (!server.listen()) {
            QTextStream(stderr) << server.errorString() << Qt::endl;
            return 1;
        }
        out << "* hosting on " << server.listeningAddress() << Qt::endl;
        readLines(&server, [&](const QByteArray &text) { relay(0, "host: " + text); });
        return app.exec();
    }

    ipc::ClientConfig config;
    config.preSharedKey = key;
    ipc::Client client(address, config);
    QObject::connect(&client, &ipc::Client::stateChanged, [&](ipc::Client::State state) {
        out << "* " << QMetaEnum::fromType<ipc::Client::State>().valueToKey(int(state)) << Qt::endl;
        if (state == ipc::Client::State::Unconnected) // it gave up: say why
            out << "* " << client.errorString() << Qt::endl;
    });
    QObject::connect(&client, &ipc::Client::messageReceived, [&](const ipc::Message &m) {
        out << m.data << Qt::endl;
    });
    readLines(&client, [&](const QByteArray &text) { client.write(ChatLine, text); });
    return app.exec();
}
