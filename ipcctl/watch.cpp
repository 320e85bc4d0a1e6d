// ipcctl watch ADDRESS: a client that stays connected and prints every
// message as it arrives, for a script following a live stream.
#include "commands.h"
#include "common.h"

#include <QCoreApplication>

namespace ipcctl {

int watch(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("A client that prints every message the server sends, one line each, until "
                       "interrupted or --count.\n"
                       "It reconnects when the connection breaks, as any libipc client does; it "
                       "ends when the client gives up."));
    parser.addHelpOption();
    parser.addPositionalArgument(
        QStringLiteral("address"), QStringLiteral("name, /path.sock or tcp://host:port"));
    parser.addPositionalArgument(QStringLiteral("[object[.signal]]"),
        QStringLiteral("print this remote object's signals (or one of them) instead"));
    Common common;
    common.addTo(parser);
    const QCommandLineOption hex(
        QStringLiteral("hex"), QStringLiteral("Print payloads as hex always."));
    const QCommandLineOption count(QStringLiteral("count"),
        QStringLiteral("Exit after this many messages."), QStringLiteral("n"));
    const QCommandLineOption waitServer(QStringLiteral("wait-for-server"),
        QStringLiteral("Retry until --timeout when no server is there yet."));
    parser.addOptions({ hex, count, waitServer });
    if (const int done = parseCommand(parser, QStringLiteral("watch"), arguments); done >= 0)
        return done;
    const qsizetype given = parser.positionalArguments().size();
    if (given < 1 || given > 2)
        return fail(Usage,
            QStringLiteral("watch needs ADDRESS [OBJECT[.SIGNAL]] (see ipcctl watch --help)"));
    bool countOk = true;
    const int limit = parser.isSet(count) ? parser.value(count).toInt(&countOk) : 0;
    if (!countOk || limit < 0)
        return fail(
            Usage, QStringLiteral("--count needs a number, not \"%1\"").arg(parser.value(count)));

    const bool json = parser.isSet(common.json);
    int seen = 0;
    // Connected before the connection starts: the first message may come
    // with it (the line wire has no handshake to wait for).
    const auto print = [&](ipc::Client &client) {
        QObject::connect(
            &client, &ipc::Client::messageReceived, &client, [&](const ipc::Message &message) {
                if (json)
                    printJson(messageJson(message));
                else
                    printLine(messageLine(message, parser.isSet(hex)));
                if (limit > 0 && ++seen == limit)
                    QCoreApplication::exit(Ok);
            });
    };
    int failure = Ok;
    const bool objectMode = given == 2;
    const std::unique_ptr<ipc::Client> connected = connectClient(parser, common,
        parser.positionalArguments().first(), parser.isSet(waitServer), &failure,
        objectMode ? std::function<void(ipc::Client &)>() : print);
    if (!connected)
        return failure;
    if (objectMode)
        return watchObject(
            *connected, parser.positionalArguments().at(1), limit, json, timeoutOf(parser, common));
    ipc::Client &client = *connected;
    if (limit > 0 && seen >= limit)
        return Ok;
    fail(Ok, QStringLiteral("watching %1").arg(client.address()));
    QObject::connect(&client, &ipc::Client::stateChanged, &client, [&](ipc::Client::State state) {
        if (state == ipc::Client::State::Reconnecting)
            fail(
                Ok, QStringLiteral("connection lost (%1); reconnecting").arg(client.errorString()));
        else if (state == ipc::Client::State::Unconnected)
            QCoreApplication::exit(fail(
                client.error() == ipc::Error::NoError ? Unreachable : exitCodeFor(client.error()),
                QStringLiteral("gave up: %1").arg(client.errorString())));
    });
    return QCoreApplication::exec();
}

} // namespace ipcctl
