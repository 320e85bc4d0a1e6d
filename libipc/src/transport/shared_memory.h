// Message data in sealed memory files (Linux memfd): the sender fills a
// file and seals it against any change, the receiver maps it, so a very
// large message crosses without being copied through a socket.
#pragma once

#include <QByteArray>
#include <QString>

namespace ipc::shm {

// A new, empty memory file that can be sealed; -1 when the system has none.
int create();
// Appends size bytes at the file's end.
bool append(int fd, const char *data, qsizetype size);
// Seals the file against writes, growth and shrinking, for good.
bool seal(int fd);

// The sealed file's `size` bytes as a QByteArray that owns them. From
// 32 MiB on, with glibc's allocator, the file is mapped where the array's
// data lies (copy on write), so nothing is copied; otherwise the bytes are
// copied out a window at a time. Null, with the reason, when the file is
// not sealed or not exactly that size.
QByteArray map(int fd, qsizetype size, QString *error);

// Whether memory files are backed by huge pages on this system.
bool filesGetHugePages();

// Asks for huge pages under a large buffer about to be filled: faulting in
// 4 KiB pages one by one costs more than copying into them.
void preferHugePages(char *data, qsizetype size);

} // namespace ipc::shm
