// ipcctl listen ADDRESS: a server that prints every message it gets.
#include "commands.h"
#include "common.h"

#include <QCoreApplication>
#include <QTimer>

namespace ipcctl {

int listen(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A server that prints every message: time, client, type, size, payload."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("name, /path.sock or tcp://host:port"));
    Common common;
    common.addTo(parser);
    const QCommandLineOption echo(QStringLiteral("echo"),
                                  QStringLiteral("Send each message back to its client (a request as its reply)."));
    const QCommandLineOption hex(QStringLiteral("hex"), QStringLiteral("Print payloads as hex always."));
    const QCommandLineOption count(QStringLiteral("count"), QStringLiteral("Exit after this many messages."), QStringLiteral("n"));
    parser.addOptions({echo, hex, count});
    if (const int done = parseCommand(parser, QStringLiteral("listen"), arguments); done >= 0)
        return done;
    if (parser.positionalArguments().size() != 1)
        return fail(Usage, QStringLiteral("listen needs one ADDRESS (see ipcctl listen --help)"));

    ipc::ServerConfig config;
    if (!serverConfig(parser, common, &config))
        return Usage;
    ipc::Server server(parser.positionalArguments().first(), config);
    if (!server.listen())
        return fail(exitCodeFor(server.error()), server.errorString());
    fail(Ok, QStringLiteral("listening on %1").arg(server.listeningAddress()));
    const bool json = parser.isSet(common.json);
    const int limit = parser.isSet(count) ? parser.value(count).toInt() : -1;
    int seen = 0;
    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&](const ipc::Message &message) {
        if (json)
            printJson(messageJson(message));
        else
            printLine(messageLine(message, parser.isSet(hex)));
        if (parser.isSet(echo) && message.isRequest())
            server.reply(message, message.type, message.data);
        else if (parser.isSet(echo))
            server.write(message.clientId, message.type, message.data);
        if (limit > 0 && ++seen >= limit) // after the echo has been confirmed
            QTimer::singleShot(0, &server, [&] {
                server.waitForDelivered(timeoutOf(parser, common));
                QCoreApplication::quit();
            });
    });
    QObject::connect(&server, &ipc::Server::clientErrorOccurred, &server,
                     [](quint64 client, ipc::Error, const QString &reason) {
                         fail(Ok, QStringLiteral("client %1: %2").arg(client).arg(reason));
                     });
    return QCoreApplication::exec();
}

} // namespace ipcctl
