// Unique socket names and paths per test, so suites run in parallel.
#pragma once

#include <QCoreApplication>
#include <QString>

#ifdef Q_OS_UNIX
#include <dirent.h>
#include <string>
#include <unistd.h>
#endif

inline QString uniqueName(const char *tag)
{
    static int counter = 0;
    return QStringLiteral("ipctest_%1_%2_%3")
        .arg(QLatin1String(tag))
        .arg(QCoreApplication::applicationPid())
        .arg(++counter);
}

inline QString socketPathFor(const QString &name)
{
    return QStringLiteral("/tmp/%1.sock").arg(name);
}

#ifdef Q_OS_UNIX
// At the test program's exit, removes the socket and lock files its names left in
// /tmp: a helper server that a test killed could not remove its own.
// Plain system calls, as this runs after Qt's globals are gone.
struct SocketFileSweeper
{
    ~SocketFileSweeper()
    {
        const std::string pid = std::to_string(::getpid());
        DIR *dir = ::opendir("/tmp");
        if (!dir)
            return;
        while (const dirent *entry = ::readdir(dir)) {
            // ipctest_<tag>_<pid>_<counter>.sock, as uniqueName() makes them,
            // and the .sock.lock beside it
            const std::string file = entry->d_name;
            const std::string::size_type suffix = file.rfind(".sock");
            if (file.rfind("ipctest_", 0) != 0 || suffix == std::string::npos
                || (suffix + 5 != file.size() && file.compare(suffix, std::string::npos, ".sock.lock") != 0))
                continue;
            const std::string::size_type counter = file.rfind('_', suffix);
            const std::string::size_type owner
                = counter == 0 ? std::string::npos : file.rfind('_', counter - 1);
            if (owner != std::string::npos
                && file.compare(owner + 1, counter - owner - 1, pid) == 0)
                ::unlink(("/tmp/" + file).c_str());
        }
        ::closedir(dir);
    }
};
inline SocketFileSweeper socketFileSweeper;
#endif
