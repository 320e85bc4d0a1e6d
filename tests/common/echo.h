// The echo server most tests talk to: every message goes back to its sender.
#pragma once

#include <ipc/server.h>

inline void echoEverything(ipc::Server &server)
{
    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&server](const ipc::Message &m) {
        server.write(m.clientId, m.type, m.data);
    });
}
