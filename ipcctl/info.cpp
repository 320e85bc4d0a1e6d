// ipcctl info ADDRESS: what a server says about itself.
#include "commands.h"
#include "common.h"

namespace ipcctl {

namespace {

QString securityName(ipc::SecurityLevel level)
{
    switch (level) {
    case ipc::SecurityLevel::Plain: return QStringLiteral("plain");
    case ipc::SecurityLevel::Weak: return QStringLiteral("weak");
    case ipc::SecurityLevel::Encrypted: return QStringLiteral("encrypted");
    case ipc::SecurityLevel::Authenticated: return QStringLiteral("authenticated");
    }
    return QString();
}

// The wire the connection speaks. golang-ipc v2 and the line wire are
// asked for; a native client also talks to a golang-ipc v2 server, which
// names only its protocol (PeerInfo::libraryVersion "golang-ipc protocol 2").
QString wireName(ipc::Protocol asked, const ipc::PeerInfo &server)
{
    switch (asked) {
    case ipc::Protocol::Line: return QStringLiteral("line");
    case ipc::Protocol::GolangIpcV2: return QStringLiteral("golang-ipc-v2");
    case ipc::Protocol::Native: break;
    }
    return server.libraryVersion.startsWith(QLatin1String("golang-ipc")) ? QStringLiteral("golang-ipc-v2")
                                                                         : QStringLiteral("native");
}

} // namespace

int info(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Connects and prints what the server says about itself."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("name, /path.sock or tcp://host:port"));
    Common common;
    common.addTo(parser);
    if (const int done = parseCommand(parser, QStringLiteral("info"), arguments); done >= 0)
        return done;
    if (parser.positionalArguments().size() != 1)
        return fail(Usage, QStringLiteral("info needs one ADDRESS (see ipcctl info --help)"));
    const QString address = parser.positionalArguments().first();
    int failure = Ok;
    const std::unique_ptr<ipc::Client> connected = connectClient(parser, common, address, false, &failure);
    if (!connected)
        return failure;
    ipc::Client &client = *connected;
    const ipc::PeerInfo server = client.serverInfo();
    const ipc::EncryptionInfo encryption = client.encryption();
    const QString protocol = wireName(client.config().protocol, server);
    const QJsonObject object{{QStringLiteral("address"), address},
                             {QStringLiteral("protocol"), protocol},
                             {QStringLiteral("encryption"), encryption.protocol},
                             {QStringLiteral("security"), securityName(encryption.level)},
                             {QStringLiteral("handshake_hash"), QString::fromLatin1(encryption.handshakeHash.toHex())},
                             {QStringLiteral("pid"), server.pid},
                             {QStringLiteral("process"), server.processName},
                             {QStringLiteral("library"), server.libraryVersion},
                             {QStringLiteral("max_message_size"), qint64(server.maxMessageSize)}};
    if (parser.isSet(common.json)) {
        printJson(object);
    } else {
        for (const QString &key : {QStringLiteral("address"), QStringLiteral("protocol"), QStringLiteral("encryption"),
                                   QStringLiteral("security"), QStringLiteral("handshake_hash"), QStringLiteral("pid"),
                                   QStringLiteral("process"), QStringLiteral("library"), QStringLiteral("max_message_size")})
            printLine(QStringLiteral("%1: %2").arg(key, object.value(key).toVariant().toString()));
    }
    client.close();
    return Ok;
}

} // namespace ipcctl
