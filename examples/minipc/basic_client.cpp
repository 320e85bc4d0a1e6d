// Receive one message and print it: MinIPC's "Basic Client".
//   minipc_basic_client [--line] [sec]
#include "options.h"

#include <cstdio>

int main(int argc, char **argv)
{
    const ipc::MinipcOptions options = exampleOptions(argc, argv);
    const ipc::MinipcResult message = ipc::eat(QLatin1String(ipc::MinipcDefaultAddress), {}, options);
    if (!message) {
        ipc::log(message.error);
        return 1;
    }
    std::printf("%s\n", message.value.constData());
    return 0;
}
