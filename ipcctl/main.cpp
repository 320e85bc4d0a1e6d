// ipcctl: libipc from a shell, for scripts and debugging.
#include "commands.h"
#include "common.h"

#include <ipc/version.h>

#include <QCoreApplication>
#include <QTextStream>

namespace {

const char Usage[] = R"(usage: ipcctl COMMAND [options] ...

commands:
  listen ADDRESS                 a server that prints every message it gets
  watch ADDRESS                  a client that prints every message it gets
  watch ADDRESS OBJECT[.SIGNAL]  print a remote object's signals as they fire
  objects ADDRESS                the server's remote objects and their members
  call ADDRESS OBJECT.METHOD [ARG...]
                                 call a method (ARG: JSON, or a bare word as text)
  get ADDRESS OBJECT[.PROPERTY]  print a property, or all of them
  set ADDRESS OBJECT.PROPERTY VALUE
                                 set a writable property
  send ADDRESS TYPE DATA|-       send one message (- reads standard input)
  ping ADDRESS [-c N]            round trips to a server, like ping
  info ADDRESS                   what a server says about itself
  serve ADDRESS MESSAGE          MinIPC's serve (--broadcast N, --line)
  eat ADDRESS                    MinIPC's eat (--line, --wait-for-server)
  --version                      ipcctl's version and the running libipc's

Every command takes --help, and --plain, --psk-file FILE, --psk-env VAR,
--protocol native|golang-ipc-v2|line, --max-size BYTES, --timeout MS and
--json. A pre-shared key is never taken from the command line, where ps
would show it.

exit codes: 0 ok, 1 bad arguments, address, key or configuration,
2 no server (refused, in use, permission), 3 encryption, key, handshake or
protocol mismatch, 4 message or call refused (too large, bad type, no such
object or member, a wrong argument), 5 timed out.
)";

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ipcctl"));
    const QStringList arguments = app.arguments().mid(2);
    const QString command = app.arguments().value(1);
    if (command == QLatin1String("listen"))
        return ipcctl::listen(arguments);
    if (command == QLatin1String("send"))
        return ipcctl::send(arguments);
    if (command == QLatin1String("ping"))
        return ipcctl::ping(arguments);
    if (command == QLatin1String("info"))
        return ipcctl::info(arguments);
    if (command == QLatin1String("serve"))
        return ipcctl::serve(arguments);
    if (command == QLatin1String("eat"))
        return ipcctl::eat(arguments);
    if (command == QLatin1String("watch"))
        return ipcctl::watch(arguments);
    if (command == QLatin1String("objects"))
        return ipcctl::objects(arguments);
    if (command == QLatin1String("call"))
        return ipcctl::call(arguments);
    if (command == QLatin1String("get"))
        return ipcctl::get(arguments);
    if (command == QLatin1String("set"))
        return ipcctl::set(arguments);
    if (command == QLatin1String("--version") || command == QLatin1String("version")) {
        QTextStream(stdout) << "ipcctl " << IPC_VERSION_STRING << " (libipc " << ipc::libraryVersion() << ")\n";
        return ipcctl::Ok;
    }
    const bool help = command == QLatin1String("--help") || command == QLatin1String("-h")
        || command == QLatin1String("help");
    QTextStream(help ? stdout : stderr) << (command.isEmpty() || help
            ? QString()
            : QStringLiteral("ipcctl: unknown command \"%1\"\n\n").arg(command))
                                        << QLatin1String(Usage);
    return help ? ipcctl::Ok : ipcctl::Usage;
}
