// What this build's transport can do beyond what Qt's sockets give. On
// Linux libipc reads and writes unix sockets itself (UnixSocketStream),
// passes large messages in memory files, asks the kernel who the peer is
// and whether a socket file has a listener. Other systems, and a Linux
// build with LIBIPC_PORTABLE_TRANSPORT (which CI runs so that this path is
// tested), use QLocalSocket and QTcpSocket alone.
#pragma once

#include <QtGlobal>

#if defined(Q_OS_LINUX) && !defined(IPC_PORTABLE_TRANSPORT)
#define IPC_LINUX_TRANSPORT 1
#else
#define IPC_LINUX_TRANSPORT 0
#endif

namespace ipc::transport {

// Whether the system tells who is at the other end of a local socket
// (PeerCredentials, and so ServerConfig::sameUserOnly).
constexpr bool hasPeerCredentials = IPC_LINUX_TRANSPORT;
// Whether very large messages can travel in memory files.
constexpr bool hasMemoryFiles = IPC_LINUX_TRANSPORT;

} // namespace ipc::transport
