#include "listener.h"

#include "local_listener.h"
#include "tcp_listener.h"

namespace ipc {

std::unique_ptr<Listener> Listener::create(const Address &address)
{
    if (address.kind == Address::Tcp)
        return std::make_unique<TcpListener>();
    return std::make_unique<LocalListener>();
}

bool Listener::fail(Error error, const QString &reason)
{
    m_error = error;
    m_errorString = reason;
    return false;
}

} // namespace ipc
