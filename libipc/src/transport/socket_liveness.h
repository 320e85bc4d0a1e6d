// Whether a unix socket file belongs to a listening server, asked of the
// kernel instead of the server: a connection that never handshakes disturbs
// a live server (a golang-ipc server even stops for good after one).
#pragma once

#include <QString>

#include <optional>

namespace ipc {

// true: a socket is listening on the file at path; false: none is (the file
// is stale); empty: the kernel cannot tell (not Linux, or sock_diag refused),
// and the caller must probe some other way.
std::optional<bool> isListeningSocketFile(const QString &path);

} // namespace ipc
