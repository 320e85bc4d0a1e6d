// ipcctl send ADDRESS TYPE DATA|-: one message, optionally the reply.
#include "commands.h"
#include "common.h"

#include <QFile>
#include <QMetaEnum>

#include <cstdio>

namespace ipcctl {

namespace {

void print(const ipc::Message &message, const QCommandLineParser &parser, const Common &common, bool hex, bool isReply)
{
    if (parser.isSet(common.json))
        printJson(messageJson(message, isReply));
    else
        printLine(messageLine(message, hex));
}

// A call that ended without an answer: the exit code, the reason on stderr,
// and with --json the same as an object on stdout for the script.
int noAnswer(int code, const QString &error, const QString &text, int errorCode, const QCommandLineParser &parser,
             const Common &common)
{
    if (parser.isSet(common.json))
        printJson(errorJson(error, text, errorCode));
    return fail(code, errorCode != 0 ? QStringLiteral("error reply (code %1): %2").arg(errorCode).arg(text)
                                     : QStringLiteral("no reply: %1").arg(text));
}

// A request and its reply; on a wire without replies, a message and the
// first message back.
int requestAndPrint(ipc::Client &client, int type, const QByteArray &data, const QCommandLineParser &parser,
                    const Common &common, bool hex)
{
    const ipc::Reply reply = client.call(type, data, timeoutOf(parser, common));
    if (reply.isOk()) {
        print(reply.message, parser, common, hex, true);
        return Ok;
    }
    const QString name = errorName(reply.error);
    if (reply.error == ipc::Error::RemoteError)
        return noAnswer(Refused, name, reply.errorString, reply.errorCode, parser, common);
    if (reply.error != ipc::Error::ProtocolMismatch)
        return noAnswer(reply.error == ipc::Error::Timeout ? TimedOut : exitCodeFor(reply.error), name,
                        reply.errorString, 0, parser, common);
    if (!client.write(type, data))
        return fail(exitCodeFor(client.error()), client.errorString());
    const ipc::Message back = client.waitForMessage(timeoutOf(parser, common));
    if (back.isNotice())
        return noAnswer(back.type == ipc::Message::StatusNotice ? TimedOut : exitCodeFor(client.error()),
                        errorName(back.type == ipc::Message::StatusNotice ? ipc::Error::Timeout : client.error()),
                        QString::fromUtf8(back.data), 0, parser, common);
    print(back, parser, common, hex, false);
    return Ok;
}

} // namespace

int send(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Sends one message (DATA, or - for standard input) and waits until the server has it."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("name, /path.sock or tcp://host:port"));
    parser.addPositionalArgument(QStringLiteral("type"), QStringLiteral("message type, 1 or more"));
    parser.addPositionalArgument(QStringLiteral("data"), QStringLiteral("the payload, or - to read it from standard input"));
    Common common;
    common.addTo(parser);
    const QCommandLineOption hex(QStringLiteral("hex"), QStringLiteral("DATA is hex; print the reply as hex."));
    const QCommandLineOption waitReply(QStringLiteral("wait-reply"),
                                       QStringLiteral("Send a request and print its reply (golang-ipc v2 and the line "
                                                      "wire have no replies: there, the first message back)."));
    const QCommandLineOption waitServer(QStringLiteral("wait-for-server"), QStringLiteral("Retry until --timeout when no server is there yet."));
    parser.addOptions({hex, waitReply, waitServer});
    if (const int done = parseCommand(parser, QStringLiteral("send"), arguments); done >= 0)
        return done;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 3)
        return fail(Usage, QStringLiteral("send needs ADDRESS TYPE DATA (see ipcctl send --help)"));
    bool typeOk = false;
    const int type = positional.at(1).toInt(&typeOk);
    if (!typeOk || type <= 0)
        return fail(Usage, QStringLiteral("the type must be a number of 1 or more, not \"%1\"").arg(positional.at(1)));
    QByteArray data;
    if (positional.at(2) == QLatin1String("-")) {
        QFile input;
        if (!input.open(stdin, QIODevice::ReadOnly))
            return fail(Usage, QStringLiteral("cannot read standard input"));
        data = input.readAll();
    } else {
        data = positional.at(2).toUtf8();
    }
    if (parser.isSet(hex)) {
        const QByteArray compact = QByteArray(data).replace(' ', "").trimmed();
        data = QByteArray::fromHex(compact);
        if (data.toHex() != compact.toLower())
            return fail(Usage, QStringLiteral("--hex: DATA is not hex"));
    }

    int failure = Ok;
    const std::unique_ptr<ipc::Client> connected =
        connectClient(parser, common, positional.at(0), parser.isSet(waitServer), &failure);
    if (!connected)
        return failure;
    ipc::Client &client = *connected;
    if (parser.isSet(waitReply)) {
        const int code = requestAndPrint(client, type, data, parser, common, parser.isSet(hex));
        if (code != Ok)
            return code;
    } else if (!client.write(type, data)) {
        return fail(exitCodeFor(client.error()), client.errorString());
    }
    int dropped = 0;
    QObject::connect(&client, &ipc::Client::messagesDropped, &client, [&](int n) { dropped += n; });
    client.disconnectFromServer();
    if (!client.waitForDisconnected(timeoutOf(parser, common) + std::chrono::seconds(1)) || dropped > 0)
        return fail(TimedOut, QStringLiteral("the server did not confirm the message in time"));
    return Ok;
}

} // namespace ipcctl
