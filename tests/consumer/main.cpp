// An echo round trip through the installed package: exits 0 when it works.
#include <ipc/client.h>
#include <ipc/server.h>

#include <QCoreApplication>

#include <memory>

using namespace std::chrono_literals;

// The generated version header is installed and agrees with the library.
static_assert(IPC_VERSION >= IPC_VERSION_CHECK(0, 1, 0), "libipc's version macros");

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (qstrcmp(ipc::libraryVersion(), IPC_VERSION_STRING) != 0)
        return 2;
    // Given a server's name (ipcctl listen --echo), the round trip goes
    // there; without one, to a server of its own.
    QString name = app.arguments().value(1);
    std::unique_ptr<ipc::Server> server;
    if (name.isEmpty()) {
        name = QStringLiteral("libipc_consumer_%1").arg(QCoreApplication::applicationPid());
        server = std::make_unique<ipc::Server>(name);
        QObject::connect(server.get(), &ipc::Server::messageReceived, server.get(),
                         [&](const ipc::Message &m) { server->write(m.clientId, m.type, m.data); });
        if (!server->listen())
            return 1;
    }
    ipc::Client client(name);
    client.write(7, "installed");
    const ipc::Message reply = client.waitForMessage(10s);
    return reply.type == 7 && reply.data == "installed" && client.encryption().isEncrypted() ? 0 : 1;
}
