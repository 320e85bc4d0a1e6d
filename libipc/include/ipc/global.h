/// \file
/// The export macro and libipc's version at run time; every other libipc
/// header includes it.
#pragma once

#include <ipc/version.h>

#include <QtCore/qglobal.h>

/// \def IPC_EXPORT
/// Marks the classes and functions the libipc library exports. Three
/// states: a static libipc (IPC_STATIC, defined for the build and for its
/// users by CMake and pkg-config), building the shared library, and using
/// it.
#if defined(IPC_STATIC)
#define IPC_EXPORT
#elif defined(IPC_BUILD_LIBRARY)
#define IPC_EXPORT Q_DECL_EXPORT
#else
#define IPC_EXPORT Q_DECL_IMPORT
#endif

/// Inter-process communication for Qt: Server, Client, their configuration
/// and the MinIPC-style calls.
namespace ipc {
/// Returns the version of the libipc the program runs with, such as
/// "0.1.0" (IPC_VERSION_STRING is the one it was built against); also sent
/// to peers in the hello message (PeerInfo::libraryVersion).
IPC_EXPORT const char *libraryVersion();
} // namespace ipc
