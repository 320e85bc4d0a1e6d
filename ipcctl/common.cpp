#include "common.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QStringDecoder>
#include <QTextStream>

#include <cstdio>
#include <unistd.h>

namespace ipcctl {

namespace {

// Never from the command line, where `ps` would show it.
bool preSharedKey(const QCommandLineParser &parser, const Common &common, QByteArray *key)
{
    QByteArray text;
    QString source;
    if (parser.isSet(common.pskFile)) {
        QFile file(parser.value(common.pskFile));
        if (!file.open(QIODevice::ReadOnly)) {
            fail(Usage, QStringLiteral("cannot read the pre-shared key file %1: %2").arg(file.fileName(), file.errorString()));
            return false;
        }
        text = file.readAll();
        source = file.fileName();
    } else if (parser.isSet(common.pskEnv)) {
        const QString variable = parser.value(common.pskEnv);
        if (!qEnvironmentVariableIsSet(variable.toLocal8Bit().constData())) {
            fail(Usage, QStringLiteral("the environment variable %1 is not set").arg(variable));
            return false;
        }
        text = qgetenv(variable.toLocal8Bit().constData());
        source = QStringLiteral("$") + variable;
    } else {
        return true;
    }
    if (text.size() == 32) {
        *key = text;
        return true;
    }
    const QByteArray hex = text.trimmed();
    const QByteArray decoded = QByteArray::fromHex(hex);
    if (hex.size() == 64 && decoded.size() == 32 && decoded.toHex() == hex.toLower()) {
        *key = decoded;
        return true;
    }
    fail(Usage, QStringLiteral("the pre-shared key in %1 must be 32 bytes or 64 hex digits").arg(source));
    return false;
}

bool protocolOf(const QCommandLineParser &parser, const Common &common, ipc::Protocol *protocol)
{
    const QString name = parser.value(common.protocol);
    if (name == QLatin1String("native"))
        *protocol = ipc::Protocol::Native;
    else if (name == QLatin1String("golang-ipc-v2"))
        *protocol = ipc::Protocol::GolangIpcV2;
    else if (name == QLatin1String("line"))
        *protocol = ipc::Protocol::Line;
    else {
        fail(Usage, QStringLiteral("unknown protocol \"%1\": use native, golang-ipc-v2 or line").arg(name));
        return false;
    }
    return true;
}

bool maxSizeOf(const QCommandLineParser &parser, const Common &common, quint32 *maxSize)
{
    if (!parser.isSet(common.maxSize))
        return true;
    bool ok = false;
    const uint value = parser.value(common.maxSize).toUInt(&ok);
    if (!ok) {
        fail(Usage, QStringLiteral("--max-size needs a number of bytes, not \"%1\"").arg(parser.value(common.maxSize)));
        return false;
    }
    *maxSize = value;
    return true;
}

} // namespace

int parseCommand(QCommandLineParser &parser, const QString &command, const QStringList &arguments)
{
    const QString name = QStringLiteral("ipcctl ") + command;
    if (!parser.parse(QStringList{name} + arguments))
        return fail(Usage, QStringLiteral("%1 (see %2 --help)").arg(parser.errorText(), name));
    if (!parser.isSet(QStringLiteral("help")))
        return -1;
    // Qt's usage line names the program only; a command's names the command.
    QString help = parser.helpText();
    const qsizetype lineEnd = help.indexOf(QLatin1Char('\n'));
    const qsizetype options = help.left(lineEnd).indexOf(QLatin1String(" [options]"));
    if (options > 0)
        help.replace(0, options, QStringLiteral("Usage: ") + name);
    QTextStream(stdout) << help;
    return Ok;
}

std::chrono::milliseconds timeoutOf(const QCommandLineParser &parser, const Common &common)
{
    return std::chrono::milliseconds(qMax(1, parser.value(common.timeout).toInt()));
}

bool clientConfig(const QCommandLineParser &parser, const Common &common, ipc::ClientConfig *config)
{
    config->encryptionRequired = !parser.isSet(common.plain);
    config->timeout = timeoutOf(parser, common);
    return preSharedKey(parser, common, &config->preSharedKey) && protocolOf(parser, common, &config->protocol)
        && maxSizeOf(parser, common, &config->maxMessageSize);
}

bool serverConfig(const QCommandLineParser &parser, const Common &common, ipc::ServerConfig *config)
{
    config->encryption = !parser.isSet(common.plain);
    return preSharedKey(parser, common, &config->preSharedKey) && protocolOf(parser, common, &config->protocol)
        && maxSizeOf(parser, common, &config->maxMessageSize);
}

std::unique_ptr<ipc::Client> connectClient(const QCommandLineParser &parser, const Common &common,
                                           const QString &address, bool retry, int *exitCode,
                                           const std::function<void(ipc::Client &)> &prepare)
{
    ipc::ClientConfig config;
    if (!clientConfig(parser, common, &config)) {
        *exitCode = Usage;
        return nullptr;
    }
    if (!retry)
        config.maxAttempts = 1; // a missing server is an answer, as for nc
    config.disconnectTimeout = timeoutOf(parser, common);
    auto client = std::make_unique<ipc::Client>(address, config);
    if (prepare) // before the event loop runs: the client starts connecting from there
        prepare(*client);
    if (client->waitForConnected(timeoutOf(parser, common) + std::chrono::seconds(1)))
        return client;
    *exitCode = fail(client->error() == ipc::Error::NoError ? TimedOut : exitCodeFor(client->error()),
                     client->errorString());
    return nullptr;
}

QString errorName(ipc::Error error)
{
    return QString::fromLatin1(QMetaEnum::fromType<ipc::Error>().valueToKey(int(error)));
}

int exitCodeFor(ipc::Error error)
{
    switch (error) {
    case ipc::Error::NoError: return Ok;
    case ipc::Error::InvalidAddress:
    case ipc::Error::InvalidConfiguration: return Usage;
    case ipc::Error::AddressInUse:
    case ipc::Error::PermissionDenied:
    case ipc::Error::ServerNotFound:
    case ipc::Error::ConnectionRefused:
    case ipc::Error::ConnectionLost:
    case ipc::Error::ServerFull:
    case ipc::Error::SocketError:
    case ipc::Error::NotConnected: return Unreachable;
    case ipc::Error::EncryptionRequired:
    case ipc::Error::PreSharedKeyMismatch:
    case ipc::Error::HandshakeFailed:
    case ipc::Error::HandshakeTimeout:
    case ipc::Error::ProtocolMismatch:
    case ipc::Error::DecryptionFailed:
    case ipc::Error::ProtocolError: return Security;
    case ipc::Error::MessageTooLarge:
    case ipc::Error::InvalidMessageType:
    case ipc::Error::RemoteError:
    case ipc::Error::ObjectNotFound:
    case ipc::Error::InterfaceMismatch:
    case ipc::Error::InvalidArgument:
    case ipc::Error::WriteQueueFull: return Refused;
    case ipc::Error::Timeout: return TimedOut;
    }
    return Unreachable;
}

int fail(int code, const QString &what)
{
    QTextStream(stderr) << "ipcctl: " << what << Qt::endl;
    return code;
}

bool isText(const QByteArray &bytes)
{
    for (const char c : bytes) {
        if ((uchar(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') || uchar(c) == 0x7f)
            return false;
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = utf8(bytes);
    return !utf8.hasError();
}

QString messageLine(const ipc::Message &message, bool hex)
{
    const bool text = !hex && isText(message.data) && !message.data.contains('\n') && !message.data.contains('\r');
    return QStringLiteral("%1 client=%2 type=%3 size=%4%5 %6")
        .arg(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss.zzz")))
        .arg(message.clientId)
        .arg(message.type)
        .arg(message.data.size())
        .arg(message.isRequest() ? QStringLiteral(" request=%1").arg(message.requestId) : QString())
        .arg(text ? QString::fromUtf8(message.data) : QStringLiteral("hex:") + QString::fromLatin1(message.data.toHex()));
}

QJsonObject messageJson(const ipc::Message &message, bool isReply)
{
    QJsonObject object{{QStringLiteral("time"), QDateTime::currentMSecsSinceEpoch()},
                       {QStringLiteral("client"), qint64(message.clientId)},
                       {QStringLiteral("type"), message.type},
                       {QStringLiteral("size"), message.data.size()},
                       {QStringLiteral("request"), message.isRequest()},
                       {QStringLiteral("reply"), isReply},
                       {QStringLiteral("hex"), QString::fromLatin1(message.data.toHex())}};
    if (message.isRequest())
        object.insert(QStringLiteral("request_id"), qint64(message.requestId));
    if (isText(message.data))
        object.insert(QStringLiteral("text"), QString::fromUtf8(message.data));
    return object;
}

QJsonObject errorJson(const QString &error, const QString &text, int code)
{
    QJsonObject object{{QStringLiteral("error"), error}, {QStringLiteral("text"), text}};
    if (code != 0)
        object.insert(QStringLiteral("code"), code);
    return object;
}

void printRaw(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

bool stdoutIsTerminal()
{
    return ::isatty(STDOUT_FILENO) == 1;
}

void printJson(const QJsonObject &object)
{
    printLine(QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact)));
}

void printLine(const QString &line)
{
    QTextStream out(stdout);
    out << line << Qt::endl; // flushed: a script reads each line as it comes
}

} // namespace ipcctl
