// Export macro and version of libipc.
#pragma once

#include <ipc/version.h>

#include <QtCore/qglobal.h>

// Three states: a static libipc (IPC_STATIC, defined for the build and for
// its users by CMake and pkg-config), building the shared library, and
// using it.
#if defined(IPC_STATIC)
#define IPC_EXPORT
#elif defined(IPC_BUILD_LIBRARY)
#define IPC_EXPORT Q_DECL_EXPORT
#else
#define IPC_EXPORT Q_DECL_IMPORT
#endif

namespace ipc {
// The version of the libipc the program runs with (IPC_VERSION_STRING is
// the one it was built against); also sent to peers in the hello message.
IPC_EXPORT const char *libraryVersion();
} // namespace ipc
