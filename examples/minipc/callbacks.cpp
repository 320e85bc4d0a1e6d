// MinIPC's "Custom Callbacks": the server decides what each client gets,
// the client decides what eat() returns.
//   minipc_callbacks server [--line] [sec]    serves two clients
//   minipc_callbacks client [--line] [sec]
#include "options.h"

#include <cstdio>
#include <cstring>

int main(int argc, char **argv)
{
    const ipc::MinipcOptions options = exampleOptions(argc, argv);
    const QString address = QLatin1String(ipc::MinipcDefaultAddress);
    if (argc > 1 && std::strcmp(argv[1], "server") == 0) {
        const auto result = ipc::serve(address, "data", 2,
                                       [](const QList<ipc::Peer *> &clients, const QByteArray &message) {
                                           for (ipc::Peer *client : clients)
                                               client->send(message + " processed");
                                       },
                                       options);
        ipc::log(result ? QStringLiteral("served %1 clients").arg(result.clients) : result.error);
        return result ? 0 : 1;
    }
    const auto result = ipc::eat(address,
                                 [](ipc::Peer &server) { return server.receive() + " acknowledged"; },
                                 options);
    if (!result) {
        ipc::log(result.error);
        return 1;
    }
    std::printf("%s\n", result.value.constData()); // "data processed acknowledged"
    return 0;
}
