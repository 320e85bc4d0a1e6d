#include "local_listener.h"
#include "transport/capabilities.h"

#include "logging.h"
#include "transport/socket_liveness.h"
#include "transport/device_stream.h"
#if IPC_LINUX_TRANSPORT
#include "transport/unix_socket_stream.h"
#endif

#include <QFileInfo>
#include <QLocalServer>
#include <QLocalSocket>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#endif

namespace ipc {

namespace {

// On Linux an accepted descriptor becomes a UnixSocketStream at once,
// without a QLocalSocket around it.
class DescriptorServer : public QLocalServer
{
public:
    using QLocalServer::QLocalServer;
    std::function<void(quintptr)> onIncoming;

protected:
    void incomingConnection(quintptr descriptor) override
    {
#if IPC_LINUX_TRANSPORT
        onIncoming(descriptor);
#else
        QLocalServer::incomingConnection(descriptor);
#endif
    }
};

} // namespace

LocalListener::LocalListener()
    : m_server(new DescriptorServer(this))
{
#if IPC_LINUX_TRANSPORT
    static_cast<DescriptorServer *>(m_server)->onIncoming = [this](quintptr descriptor) {
        Q_EMIT newStream(new UnixSocketStream(int(descriptor)));
    };
#endif
    connect(m_server, &QLocalServer::newConnection, this, &LocalListener::acceptPending);
}

LocalListener::~LocalListener()
{
    close();
}

bool LocalListener::listen(const Address &address, const Options &options)
{
    const QString path = address.localPath;
    if (!clearStaleSocket(path))
        return false;
    m_server->setSocketOptions(options.worldAccess ? QLocalServer::WorldAccessOption
                                                   : QLocalServer::UserAccessOption);
    m_server->setListenBacklogSize(maximumBacklog());
    if (!m_server->listen(path)) {
        const Error error = m_server->serverError() == QAbstractSocket::AddressInUseError
            ? Error::AddressInUse
            : m_server->serverError() == QAbstractSocket::SocketAccessError ? Error::PermissionDenied
                                                                            : Error::SocketError;
        return fail(error, QStringLiteral("cannot listen on %1: %2").arg(path, m_server->errorString()));
    }
    return true;
}

// golang-ipc deletes whatever is at the path, stealing a live server's name.
// Here a file that still accepts connections is a live server: refuse.
bool LocalListener::clearStaleSocket(const QString &path)
{
#ifdef Q_OS_UNIX
    struct stat info;
    if (::lstat(QFile::encodeName(path).constData(), &info) != 0)
        return true; // nothing there
    if (!S_ISSOCK(info.st_mode))
        return fail(Error::AddressInUse,
                    QStringLiteral("address in use: %1 exists and is not a socket").arg(path));
    // Asking the kernel first leaves a live server alone; only when it knows of
    // no listener here does a connection attempt decide (a server in another
    // network namespace), which disturbs nobody when the file is stale.
    if (isListeningSocketFile(path).value_or(false))
        return fail(Error::AddressInUse,
                    QStringLiteral("address in use: a live server is listening on %1").arg(path));
    QLocalSocket probe;
    probe.connectToServer(path);
    if (probe.waitForConnected(1000)) {
        probe.abort();
        return fail(Error::AddressInUse,
                    QStringLiteral("address in use: a live server is listening on %1").arg(path));
    }
    if (probe.error() == QLocalSocket::SocketAccessError)
        return fail(Error::PermissionDenied,
                    QStringLiteral("cannot listen on %1: the socket belongs to another user").arg(path));
    // Only a refusal proves nobody is there; a busy live server can also
    // fail the probe (a full backlog times out) and must keep its file.
    if (probe.error() != QLocalSocket::ConnectionRefusedError
        && probe.error() != QLocalSocket::ServerNotFoundError)
        return fail(Error::AddressInUse,
                    QStringLiteral("address in use: %1 did not answer (%2)").arg(path, probe.errorString()));
    return removeStaleSocket(path);
#else
    Q_UNUSED(path)
    return true;
#endif
}

bool LocalListener::removeStaleSocket(const QString &path)
{
    qCInfo(lcServer) << "removing stale socket file" << path;
    if (!QLocalServer::removeServer(path))
        return fail(Error::PermissionDenied,
                    QStringLiteral("cannot remove the stale socket file %1").arg(path));
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
    m_server->close(); // also removes the socket file
}

QString LocalListener::listeningAddress() const
{
    return m_server->fullServerName();
}

} // namespace ipc
