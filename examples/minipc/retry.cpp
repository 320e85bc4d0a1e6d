// MinIPC's "Retry Pattern": keep trying while the other side is not up yet,
// waiting 2 s, then 3 s, 4.5 s, ... between attempts.
//   minipc_retry server [--line] [sec]
//   minipc_retry client [--line] [sec]   (may start first)
#include "options.h"

#include <cstdio>
#include <cstring>

using namespace std::chrono_literals;

int main(int argc, char **argv)
{
    const ipc::MinipcOptions options = exampleOptions(argc, argv);
    const QString address = QLatin1String(ipc::MinipcDefaultAddress);
    const bool server = argc > 1 && std::strcmp(argv[1], "server") == 0;
    const ipc::MinipcResult result = ipc::retry(
        [&] {
            return server ? ipc::serve(address, "Important message", 1, {}, options)
                          : ipc::eat(address, {}, options);
        },
        5, 2s);
    if (!result) {
        ipc::log(result.error); // "task failed after 5 attempts; last error: ..."
        return 1;
    }
    if (!server)
        ipc::sec(QString::fromUtf8(result.value)); // shown only with "sec"
    ipc::log(QStringLiteral("done after %1 attempt(s)").arg(result.attempts));
    return 0;
}
