#include "local_listener.h"

#include "transport/device_stream.h"

#include <QLocalServer>
#include <QLocalSocket>

namespace ipc {

LocalListener::LocalListener()
    : m_server(new QLocalServer(this))
{
    connect(m_server, &QLocalServer::newConnection, this, &LocalListener::acceptPending);
}

LocalListener::~LocalListener()
{
    close();
}

bool LocalListener::listen(const Address &address, const Options &options)
{
    m_server->setSocketOptions(
        options.worldAccess ? QLocalServer::WorldAccessOption : QLocalServer::UserAccessOption);
    m_server->setListenBacklogSize(maximumBacklog());
    if (!m_server->listen(address.localPath)) {
        const Error error = m_server->serverError() == QAbstractSocket::AddressInUseError
            ? Error::AddressInUse
            : m_server->serverError() == QAbstractSocket::SocketAccessError
            ? Error::PermissionDenied
            : Error::SocketError;
        return fail(error,
            QStringLiteral("cannot listen on %1: %2")
                .arg(address.localPath, m_server->errorString()));
    }
    return true;
}

// A slot of newStream may close the listener: nextPendingConnection() then
// has nothing more (its owner defers deleting it while this runs).
void LocalListener::acceptPending()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection())
        Q_EMIT newStream(new DeviceStream(socket));
}

void LocalListener::close()
{
    m_server->close();
}

QString LocalListener::listeningAddress() const
{
    return m_server->fullServerName();
}

} // namespace ipc
