// Serve one message to three clients once all three have connected:
// MinIPC's "Broadcasting". Start three minipc_basic_client to receive it.
//   minipc_broadcast [--line] [sec]
#include "options.h"

int main(int argc, char **argv)
{
    const ipc::MinipcOptions options = exampleOptions(argc, argv);
    ipc::log(QStringLiteral("waiting for 3 clients"));
    const ipc::MinipcResult result = ipc::serve(QLatin1String(ipc::MinipcDefaultAddress),
                                                "Broadcast message", 3, {}, options);
    ipc::log(result ? QStringLiteral("served %1 clients").arg(result.clients) : result.error);
    return result ? 0 : 1;
}
