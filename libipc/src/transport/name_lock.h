// One name, one server (Unix): a lock file beside the socket that a server
// holds while it listens. The kernel releases it when the process ends, so a
// crashed server's name is free again, and two servers starting at once
// cannot both believe they hold it.
#pragma once

#include <QString>

#include <sys/types.h>

namespace ipc::transport {

class NameLock
{
public:
    NameLock() = default;
    ~NameLock();
    NameLock(const NameLock &) = delete;
    NameLock &operator=(const NameLock &) = delete;

    // Takes the lock at `path` (created when missing). False when another
    // process holds it (*heldElsewhere) or it cannot be opened (*why).
    bool acquire(const QString &path, bool *heldElsewhere, QString *why);
    // Removes the lock file and lets go of it.
    void release();
    bool isHeld() const { return m_fd >= 0; }

private:
    QString m_path;
    int m_fd = -1;
};

// Which file a path names, to tell our own socket file from a replacement.
struct FileIdentity
{
    dev_t device = 0;
    ino_t inode = 0;
    bool exists = false;
    bool unknown = false; // lstat() failed for another reason than a missing file

    static FileIdentity of(const QString &path);
    bool operator==(const FileIdentity &other) const
    {
        return exists == other.exists && device == other.device && inode == other.inode;
    }
};

} // namespace ipc::transport
