#include "transport/name_lock.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ipc::transport {

NameLock::~NameLock()
{
    release();
}

bool NameLock::acquire(const QString &path, bool *heldElsewhere, QString *why)
{
    *heldElsewhere = false;
    const QByteArray encoded = QFile::encodeName(path);
    // A holder that is closing removes the file after we opened it: the lock
    // we then get is on a file nobody else will look at. Try the new one.
    for (int attempt = 0; attempt < 16; ++attempt) {
        const int fd = ::open(encoded.constData(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            *why = QStringLiteral("cannot open the lock file %1: %2")
                       .arg(path, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            ::close(fd);
            *heldElsewhere = error == EWOULDBLOCK;
            *why = *heldElsewhere ? QStringLiteral("a live server holds the lock file %1").arg(path)
                                  : QStringLiteral("cannot lock %1: %2")
                                        .arg(path, QString::fromLocal8Bit(std::strerror(error)));
            return false;
        }
        struct stat held;
        struct stat named;
        if (::fstat(fd, &held) == 0 && ::stat(encoded.constData(), &named) == 0
            && held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
            m_fd = fd;
            m_path = path;
            return true;
        }
        ::close(fd);
    }
    *why = QStringLiteral("the lock file %1 keeps changing").arg(path);
    return false;
}

void NameLock::release()
{
    if (m_fd < 0)
        return;
    // While still holding it (see acquire()), and only our own: after a
    // cleanup removed ours, the file there is another server's.
    const QByteArray path = QFile::encodeName(m_path);
    struct stat held;
    struct stat named;
    if (::fstat(m_fd, &held) == 0 && ::stat(path.constData(), &named) == 0
        && held.st_dev == named.st_dev && held.st_ino == named.st_ino)
        ::unlink(path.constData());
    ::close(m_fd);
    m_fd = -1;
}

FileIdentity FileIdentity::of(const QString &path)
{
    FileIdentity identity;
    struct stat info;
    if (::lstat(QFile::encodeName(path).constData(), &info) != 0) {
        identity.unknown = errno != ENOENT; // gone only when the system says so
        return identity;
    }
    identity.device = info.st_dev;
    identity.inode = info.st_ino;
    identity.exists = true;
    return identity;
}

} // namespace ipc::transport
