// What this build's local transport gives, for tests of the public API
// (internal tests read transport/capabilities.h): Linux's own (peer
// credentials, memory files, the kernel's liveness check), or Qt's sockets
// alone, as other systems and a LIBIPC_PORTABLE_TRANSPORT build have.
#pragma once

#include <QtGlobal>

#if defined(Q_OS_LINUX) && !defined(IPC_PORTABLE_TRANSPORT)
constexpr bool hasLinuxTransport = true;
#else
constexpr bool hasLinuxTransport = false;
#endif
