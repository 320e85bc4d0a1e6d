// ipcctl serve / eat: MinIPC's one-shot calls from a shell.
#include "commands.h"
#include "common.h"

#include <ipc/minipc.h>

namespace ipcctl {

namespace {

bool minipcOptions(const QCommandLineParser &parser, const Common &common, const QCommandLineOption &line,
                   ipc::MinipcOptions *options)
{
    ipc::ClientConfig config; // the shared options, read once
    if (!clientConfig(parser, common, &config))
        return false;
    options->protocol = parser.isSet(line) ? ipc::Protocol::Line : config.protocol;
    options->encryption = config.encryptionRequired;
    options->preSharedKey = config.preSharedKey;
    options->maxMessageSize = config.maxMessageSize;
    options->timeout = timeoutOf(parser, common);
    return true;
}

int report(const ipc::MinipcResult &result, const QCommandLineParser &parser, const Common &common,
           const QJsonObject &extra)
{
    if (!result.ok) {
        const int code = result.error.contains(QLatin1String("timed out")) ? TimedOut
            : result.error.contains(QLatin1String("key")) || result.error.contains(QLatin1String("encrypt"))
                ? Security
                : Unreachable;
        return fail(code, result.error);
    }
    if (parser.isSet(common.json))
        printJson(extra);
    return Ok;
}

} // namespace

int serve(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("MinIPC's serve: waits for N clients, sends each MESSAGE, exits."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("name, /path.sock or tcp://host:port"));
    parser.addPositionalArgument(QStringLiteral("message"), QStringLiteral("what each client gets"));
    Common common;
    common.addTo(parser);
    const QCommandLineOption broadcast(QStringLiteral("broadcast"), QStringLiteral("Wait for this many clients (default 1)."), QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption line(QStringLiteral("line"), QStringLiteral("MinIPC's line wire (plain, one line per message)."));
    parser.addOptions({broadcast, line});
    if (const int done = parseCommand(parser, QStringLiteral("serve"), arguments); done >= 0)
        return done;
    if (parser.positionalArguments().size() != 2)
        return fail(Usage, QStringLiteral("serve needs ADDRESS MESSAGE (see ipcctl serve --help)"));
    ipc::MinipcOptions options;
    if (!minipcOptions(parser, common, line, &options))
        return Usage;
    const ipc::MinipcResult result = ipc::serve(parser.positionalArguments().at(0),
                                                parser.positionalArguments().at(1).toUtf8(),
                                                qMax(1, parser.value(broadcast).toInt()), {}, options);
    return report(result, parser, common, QJsonObject{{QStringLiteral("clients"), result.clients}});
}

int eat(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("MinIPC's eat: connects, prints the one message the server sends, exits."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("name, /path.sock or tcp://host:port"));
    Common common;
    common.addTo(parser);
    const QCommandLineOption line(QStringLiteral("line"), QStringLiteral("MinIPC's line wire (plain, one line per message)."));
    const QCommandLineOption waitServer(QStringLiteral("wait-for-server"), QStringLiteral("Retry until --timeout when no server is there yet."));
    const QCommandLineOption hex(QStringLiteral("hex"), QStringLiteral("Print the message as hex (a terminal gets hex anyway when it is not text)."));
    parser.addOptions({line, waitServer, hex});
    if (const int done = parseCommand(parser, QStringLiteral("eat"), arguments); done >= 0)
        return done;
    if (parser.positionalArguments().size() != 1)
        return fail(Usage, QStringLiteral("eat needs one ADDRESS (see ipcctl eat --help)"));
    ipc::MinipcOptions options;
    if (!minipcOptions(parser, common, line, &options))
        return Usage;
    if (parser.isSet(waitServer))
        options.connectTimeout = options.timeout;
    const ipc::MinipcResult result = ipc::eat(parser.positionalArguments().first(), {}, options);
    const QByteArray &bytes = result.value;
    QJsonObject object{{QStringLiteral("size"), bytes.size()}, {QStringLiteral("hex"), QString::fromLatin1(bytes.toHex())}};
    if (isText(bytes))
        object.insert(QStringLiteral("text"), QString::fromUtf8(bytes));
    if (result.ok && !parser.isSet(common.json)) {
        // The bytes as they came to a pipe or file; a terminal gets a line.
        if (parser.isSet(hex) || (stdoutIsTerminal() && !isText(bytes)))
            printLine(QString::fromLatin1(bytes.toHex()));
        else if (stdoutIsTerminal())
            printLine(QString::fromUtf8(bytes));
        else
            printRaw(bytes);
    }
    return report(result, parser, common, object);
}

} // namespace ipcctl
