// ipcctl send ADDRESS TYPE DATA|-: one message, optionally the reply.
#include "commands.h"
#include "common.h"

#include <QFile>

#include <cstdio>

namespace ipcctl {

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
    const QCommandLineOption waitReply(QStringLiteral("wait-reply"), QStringLiteral("Print the first message the server sends back."));
    const QCommandLineOption waitServer(QStringLiteral("wait-for-server"), QStringLiteral("Retry until --timeout when no server is there yet."));
    parser.addOptions({hex, waitReply, waitServer});
    parser.process(QStringList{QStringLiteral("ipcctl send")} + arguments);
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
    if (!client.write(type, data))
        return fail(exitCodeFor(client.error()), client.errorString());
    if (parser.isSet(waitReply)) {
        const ipc::Message reply = client.waitForMessage(timeoutOf(parser, common));
        if (reply.isNotice())
            return fail(reply.type == ipc::Message::StatusNotice ? TimedOut : exitCodeFor(client.error()),
                        QStringLiteral("no reply: %1").arg(QString::fromUtf8(reply.data)));
        if (parser.isSet(common.json))
            printJson(messageJson(reply));
        else
            printLine(messageLine(reply, parser.isSet(hex)));
    }
    int dropped = 0;
    QObject::connect(&client, &ipc::Client::messagesDropped, &client, [&](int n) { dropped += n; });
    client.disconnectFromServer();
    if (!client.waitForDisconnected(timeoutOf(parser, common) + std::chrono::seconds(1)) || dropped > 0)
        return fail(TimedOut, QStringLiteral("the server did not confirm the message in time"));
    return Ok;
}

} // namespace ipcctl
