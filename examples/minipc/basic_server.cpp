// Serve a message to one client, then exit: MinIPC's "Basic Server".
//   minipc_basic_server [--line] [sec]
#include "options.h"

int main(int argc, char **argv)
{
    const ipc::MinipcOptions options = exampleOptions(argc, argv);
    ipc::log(QStringLiteral("serving on %1").arg(QLatin1String(ipc::MinipcDefaultAddress)));
    const ipc::MinipcResult result = ipc::serve(QLatin1String(ipc::MinipcDefaultAddress),
                                                "Hello, client!", 1, {}, options);
    if (!result) {
        ipc::log(result.error);
        return 1;
    }
    ipc::sec(QStringLiteral("served \"Hello, client!\""));
    return 0;
}
