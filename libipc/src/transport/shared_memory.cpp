#include "transport/shared_memory.h"

#include <QFile>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ipc::shm {

namespace {

constexpr int RequiredSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

qsizetype pageSize()
{
    static const qsizetype size = qsizetype(::sysconf(_SC_PAGESIZE));
    return size;
}

qsizetype roundUpToPage(qsizetype size)
{
    return (size + pageSize() - 1) / pageSize() * pageSize();
}

// glibc's malloc() serves a block this large with a mapping of its own
// (its mmap threshold never rises above 32 MiB on 64-bit systems), which
// free() gives back with munmap(), file mapping and all; realloc() falls
// back to copying when mremap() meets the mapping. Another allocator
// (jemalloc, a sanitizer's) may keep the pages and assume them zero after
// madvise(), which a file mapping is not: there, and for smaller blocks,
// the bytes are copied.
constexpr qsizetype OwnMappingFrom = qsizetype(4) * 1024 * 1024 * qsizetype(sizeof(long));

bool allocatorUnmapsOnFree()
{
    static const bool glibc = [] {
        Dl_info info {};
        void *allocator = reinterpret_cast<void *>(&::malloc);
        return ::dladdr(allocator, &info) != 0 && info.dli_fname
            && std::strstr(info.dli_fname, "libc.so");
    }();
    return glibc;
}

QString systemError()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// The file's bytes copied into an array of their own, a window at a time,
// each window unmapped once copied so that the two never add up.
QByteArray copyOut(int fd, qsizetype size, QString *error)
{
    auto *mapped
        = static_cast<char *>(::mmap(nullptr, size_t(size), PROT_READ, MAP_PRIVATE, fd, 0));
    if (mapped == MAP_FAILED) {
        *error = QStringLiteral("cannot map a shared-memory message: %1").arg(systemError());
        return QByteArray();
    }
    QByteArray data(size, Qt::Uninitialized);
    constexpr qsizetype Window = 4 << 20; // a multiple of the page size
    for (qsizetype done = 0; done < size; done += Window) {
        const qsizetype step = qMin(Window, size - done);
        std::memcpy(data.data() + done, mapped + done, size_t(step));
        ::munmap(mapped + done, size_t(roundUpToPage(step)));
    }
    return data;
}

} // namespace

int create()
{
    return ::memfd_create("libipc-message", MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

bool append(int fd, const char *data, qsizetype size)
{
    while (size > 0) {
        const ssize_t written = ::write(fd, data, size_t(qMin<qsizetype>(size, 1 << 30)));
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        data += written;
        size -= written;
    }
    return true;
}

bool seal(int fd)
{
    return ::fcntl(fd, F_ADD_SEALS, RequiredSeals | F_SEAL_SEAL) == 0;
}

QByteArray map(int fd, qsizetype size, QString *error)
{
    struct stat info
    {
    };
    const int seals = ::fcntl(fd, F_GET_SEALS);
    if (::fstat(fd, &info) != 0 || seals < 0 || (seals & RequiredSeals) != RequiredSeals
        || !S_ISREG(info.st_mode) || info.st_size != size) {
        *error = QStringLiteral(
            "protocol error: a shared-memory message's file is not sealed or not %1 bytes")
                     .arg(size);
        return QByteArray();
    }
    if (size == 0)
        return QByteArray(0, Qt::Uninitialized);
    if (size < OwnMappingFrom || !allocatorUnmapsOnFree())
        return copyOut(fd, size, error);
    // An array with two pages of slack, its front trimmed (which only moves
    // the data pointer in Qt 6) so that the data starts on a page boundary
    // and the mapping, whole pages, still ends inside the block.
    QByteArray data(size + 2 * pageSize(), Qt::Uninitialized);
    const auto address = reinterpret_cast<std::uintptr_t>(data.constData());
    const qsizetype misalignment = qsizetype(address % std::uintptr_t(pageSize()));
    data.remove(0, misalignment == 0 ? 0 : pageSize() - misalignment);
    data.truncate(size);
    if (reinterpret_cast<std::uintptr_t>(data.constData()) % std::uintptr_t(pageSize()) != 0)
        return copyOut(fd, size, error);
    // Mapped read-only with its pages present (a private writable mapping
    // would copy each page as it is brought in), then made writable: a
    // write copies that page only, and the sender's file never changes.
    void *target = data.data();
    void *mapped = ::mmap(target, size_t(roundUpToPage(size)), PROT_READ,
        MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0);
    if (mapped != target
        || ::mprotect(target, size_t(roundUpToPage(size)), PROT_READ | PROT_WRITE) != 0) {
        *error = QStringLiteral("cannot map a shared-memory message: %1").arg(systemError());
        return QByteArray();
    }
    data.data()[size] = '\0'; // past the file's end within its last page, or the slack
    return data;
}

bool filesGetHugePages()
{
    QFile setting(QStringLiteral("/sys/kernel/mm/transparent_hugepage/shmem_enabled"));
    if (!setting.open(QIODevice::ReadOnly))
        return false;
    const QByteArray text = setting.readAll();
    return text.contains("[always]") || text.contains("[within_size]") || text.contains("[force]");
}

void preferHugePages(char *data, qsizetype size)
{
    constexpr std::uintptr_t Huge = 2 << 20;
    const auto begin = (reinterpret_cast<std::uintptr_t>(data) + Huge - 1) & ~(Huge - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(data) + std::uintptr_t(size)) & ~(Huge - 1);
    if (end > begin)
        ::madvise(reinterpret_cast<void *>(begin), end - begin,
            MADV_HUGEPAGE); // advice: failure is harmless
}

} // namespace ipc::shm
