#include "transport/memory_file.h"
#include "transport/capabilities.h"

#if IPC_LINUX_TRANSPORT
#include "transport/shared_memory.h"

#include <unistd.h>
#endif

namespace ipc::transport {

#if IPC_LINUX_TRANSPORT

MemoryFile MemoryFile::create()
{
    return MemoryFile(shm::create());
}

MemoryFile::~MemoryFile()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool MemoryFile::append(const char *data, qsizetype size)
{
    return shm::append(m_fd, data, size);
}

bool MemoryFile::seal()
{
    return shm::seal(m_fd);
}

QByteArray MemoryFile::receive(int fd, qsizetype size, QString *error)
{
    if (fd < 0) {
        *error = QStringLiteral(
            "protocol error: a shared-memory message arrived without its file descriptor");
        return QByteArray();
    }
    QByteArray data = shm::map(fd, size, error);
    ::close(fd);
    return data;
}

bool MemoryFile::beatsTheStreamForPlainData()
{
    static const bool huge = shm::filesGetHugePages();
    return huge;
}

void MemoryFile::preferHugePages(char *data, qsizetype size)
{
    shm::preferHugePages(data, size);
}

#else // Qt's sockets pass no descriptors: no memory files.

MemoryFile MemoryFile::create()
{
    return MemoryFile(-1);
}

MemoryFile::~MemoryFile() = default;

bool MemoryFile::append(const char *, qsizetype)
{
    return false;
}

bool MemoryFile::seal()
{
    return false;
}

QByteArray MemoryFile::receive(int, qsizetype, QString *error)
{
    *error = QStringLiteral(
        "protocol error: a shared-memory message on a transport without memory files");
    return QByteArray();
}

bool MemoryFile::beatsTheStreamForPlainData()
{
    return false;
}

void MemoryFile::preferHugePages(char *, qsizetype) { }

#endif

} // namespace ipc::transport
