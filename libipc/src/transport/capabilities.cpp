#include "transport/capabilities.h"

namespace ipc::transport {

bool linuxTransport()
{
#if IPC_LINUX_TRANSPORT
    static const bool used = qEnvironmentVariableIntValue("IPC_PORTABLE_TRANSPORT") == 0;
    return used;
#else
    return false;
#endif
}

} // namespace ipc::transport
