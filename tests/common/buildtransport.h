// What this process's local transport gives, for tests of the public API
// (internal tests read transport/capabilities.h): Linux's own (peer
// credentials, memory files, the kernel's liveness check), or Qt's sockets
// alone, as other systems, a LIBIPC_PORTABLE_TRANSPORT build and a process
// run with IPC_PORTABLE_TRANSPORT=1 have.
#pragma once

#include <QtGlobal>

inline bool hasLinuxTransport()
{
#if defined(Q_OS_LINUX) && !defined(IPC_PORTABLE_TRANSPORT)
    return qEnvironmentVariableIntValue("IPC_PORTABLE_TRANSPORT") == 0;
#else
    return false;
#endif
}
