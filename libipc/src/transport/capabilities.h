// What this process's transport can do beyond what Qt's sockets give. On
// Linux libipc reads and writes unix sockets itself (UnixSocketStream),
// passes large messages in memory files, asks the kernel who the peer is
// and whether a socket file has a listener. Other systems, a Linux build
// with LIBIPC_PORTABLE_TRANSPORT, and a Linux process started with
// IPC_PORTABLE_TRANSPORT=1 in its environment use QLocalSocket and
// QTcpSocket alone (the variable lets the test suite run both ways from one
// build, and lets a user rule the Linux parts out).
#pragma once

#include <QtGlobal>

#if defined(Q_OS_LINUX) && !defined(IPC_PORTABLE_TRANSPORT)
#define IPC_LINUX_TRANSPORT 1 // compiled in; linuxTransport() says whether used
#else
#define IPC_LINUX_TRANSPORT 0
#endif

namespace ipc::transport {

// Whether this process uses Linux's own transport (read once).
bool linuxTransport();
// Whether the system tells who is at the other end of a local socket
// (PeerCredentials, and so ServerConfig::sameUserOnly).
inline bool hasPeerCredentials() { return linuxTransport(); }
// Whether very large messages can travel in memory files.
inline bool hasMemoryFiles() { return linuxTransport(); }

} // namespace ipc::transport
