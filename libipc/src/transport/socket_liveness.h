// Whether a unix socket file belongs to a listening server, asked of the
// kernel instead of the server: a connection that never handshakes disturbs
// a live server (a golang-ipc server even stops for good after one).
#pragma once

#include <QString>

#include <optional>

namespace ipc {

// true: a socket of this network namespace is listening on the file at
// path. false: none of this namespace is, yet one in another namespace
// sharing the file system may be, so only true is proof. Empty: the kernel
// cannot tell (not Linux, or sock_diag refused).
std::optional<bool> isListeningSocketFile(const QString &path);

} // namespace ipc
