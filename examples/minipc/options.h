// Shared by the MinIPC-style examples: "--line" speaks MinIPC's own wire
// (plain TCP, one line per connection) so the Lua library can be the peer;
// "sec" shows secret values in the log, as MinIPC's switch does.
#pragma once

#include <ipc/log.h>
#include <ipc/minipc.h>

#include <cstring>

inline ipc::MinipcOptions exampleOptions(int argc, char **argv)
{
    ipc::enableSecretLoggingFromArguments(argc, argv);
    ipc::MinipcOptions options;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--line") == 0)
            options.protocol = ipc::Protocol::Line;
    }
    return options;
}
