// What every ipcctl command shares: the options for security, wire and
// limits, turning ipc::Error into an exit code, and printing messages.
#pragma once

#include <ipc/client.h>
#include <ipc/config.h>
#include <ipc/message.h>
#include <ipc/server.h>

#include <QCommandLineParser>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <memory>

namespace ipcctl {

// Documented in `ipcctl --help` and the README.
enum ExitCode {
    Ok = 0,
    Usage = 1,           // bad arguments, address, key or configuration
    Unreachable = 2,     // no server, refused, address in use, permission
    Security = 3,        // encryption, pre-shared key, handshake or protocol mismatch
    Refused = 4,         // the message cannot be sent (too large, bad type)
    TimedOut = 5,        // nothing came in time (a reply, a message, a client)
};

struct Common
{
    QCommandLineOption plain{QStringLiteral("plain"), QStringLiteral("No encryption (a server), or accept a plain server (a client).")};
    QCommandLineOption pskFile{QStringLiteral("psk-file"), QStringLiteral("Pre-shared key: a file with 32 bytes or 64 hex digits."), QStringLiteral("file")};
    QCommandLineOption pskEnv{QStringLiteral("psk-env"), QStringLiteral("Pre-shared key: this environment variable holds 64 hex digits."), QStringLiteral("variable")};
    QCommandLineOption protocol{QStringLiteral("protocol"), QStringLiteral("native (default), golang-ipc-v2 or line."), QStringLiteral("wire"), QStringLiteral("native")};
    QCommandLineOption maxSize{QStringLiteral("max-size"), QStringLiteral("Largest message accepted, in bytes."), QStringLiteral("bytes")};
    QCommandLineOption timeout{QStringLiteral("timeout"), QStringLiteral("Milliseconds to wait (default 5000)."), QStringLiteral("ms"), QStringLiteral("5000")};
    QCommandLineOption json{QStringLiteral("json"), QStringLiteral("One JSON object per line, for scripts.")};

    void addTo(QCommandLineParser &parser) const
    {
        parser.addOptions({plain, pskFile, pskEnv, protocol, maxSize, timeout, json});
    }
};

// Parses a command's arguments (those after its name). --help prints the
// command's own usage ("ipcctl send [options] ..."); a bad option says why.
// Returns -1 to go on, else the exit code to end with.
int parseCommand(QCommandLineParser &parser, const QString &command, const QStringList &arguments);

// Fills configs from the parsed options; false with a message on stderr.
bool clientConfig(const QCommandLineParser &parser, const Common &common, ipc::ClientConfig *config);
bool serverConfig(const QCommandLineParser &parser, const Common &common, ipc::ServerConfig *config);
std::chrono::milliseconds timeoutOf(const QCommandLineParser &parser, const Common &common);
// Connects with the shared options: one attempt, or (retry) until --timeout.
// Null after printing why, with *exitCode set. `prepare` runs before the
// connection starts (to connect slots that must see the first message).
std::unique_ptr<ipc::Client> connectClient(const QCommandLineParser &parser, const Common &common,
                                           const QString &address, bool retry, int *exitCode,
                                           const std::function<void(ipc::Client &)> &prepare = {});

int exitCodeFor(ipc::Error error);
// The enum's own name for an error ("ConnectionLost"), as --json prints it.
QString errorName(ipc::Error error);
// Prints "ipcctl: WHAT" on stderr and returns the code.
int fail(int code, const QString &what);

// Whether bytes are UTF-8 text a terminal can show as they are.
bool isText(const QByteArray &bytes);
// A message as one line: text when it is text, else hex (or always hex).
QString messageLine(const ipc::Message &message, bool hex);
// time, client, type, size, request (and request_id), reply, hex, and text
// only when the bytes are text: a decoder never sees damaged bytes.
QJsonObject messageJson(const ipc::Message &message, bool isReply = false);
// An error reply, or a call that got none, as --json prints it.
QJsonObject errorJson(const QString &error, const QString &text, int code = 0);
// Writes bytes to standard output exactly as they are.
void printRaw(const QByteArray &bytes);
bool stdoutIsTerminal();
void printJson(const QJsonObject &object);
void printLine(const QString &line);

// watch ADDRESS OBJECT[.SIGNAL]: prints the object's emissions (objects.cpp).
int watchObject(ipc::Client &client, const QString &what, int limit, bool json, std::chrono::milliseconds timeout);

} // namespace ipcctl
