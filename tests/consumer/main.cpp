// An echo round trip through the installed package: exits 0 when it works.
#include <ipc/client.h>
#include <ipc/server.h>

#include <QCoreApplication>

using namespace std::chrono_literals;

// The generated version header is installed and agrees with the library.
static_assert(IPC_VERSION >= IPC_VERSION_CHECK(0, 1, 0), "libipc's version macros");

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (qstrcmp(ipc::libraryVersion(), IPC_VERSION_STRING) != 0)
        return 2;
    const QString name = QStringLiteral("libipc_consumer_%1").arg(QCoreApplication::applicationPid());
    ipc::Server server(name);
    QObject::connect(&server, &ipc::Server::messageReceived, &server,
                     [&](const ipc::Message &m) { server.write(m.clientId, m.type, m.data); });
    if (!server.listen())
        return 1;
    ipc::Client client(name);
    client.write(7, "installed");
    const ipc::Message reply = client.waitForMessage(10s);
    return reply.type == 7 && reply.data == "installed" && client.encryption().isEncrypted() ? 0 : 1;
}
