#include "listener.h"

#include "tcp_listener.h"
#ifdef Q_OS_UNIX
#include "unix_listener.h"
#else
#include "local_listener.h"
#endif

#include <QFile>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace ipc {

std::unique_ptr<Listener> Listener::create(const Address &address)
{
    if (address.kind == Address::Tcp)
        return std::make_unique<TcpListener>();
#ifdef Q_OS_UNIX
    return std::make_unique<UnixListener>();
#else
    return std::make_unique<LocalListener>();
#endif
}

bool Listener::fail(Error error, const QString &reason)
{
    m_error = error;
    m_errorString = reason;
    return false;
}

int Listener::maximumBacklog()
{
#ifdef Q_OS_LINUX
    // listen() caps the backlog at this value anyway; asking for it says so.
    QFile limit(QStringLiteral("/proc/sys/net/core/somaxconn"));
    if (limit.open(QIODevice::ReadOnly)) {
        bool ok = false;
        const int value = limit.readLine().trimmed().toInt(&ok);
        if (ok && value > 0)
            return value;
    }
#endif
#ifdef SOMAXCONN
    return SOMAXCONN;
#else
    return 128;
#endif
}

} // namespace ipc
