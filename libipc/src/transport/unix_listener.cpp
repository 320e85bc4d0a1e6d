#include "transport/unix_listener.h"
#include "transport/capabilities.h"

#include "logging.h"
#include "transport/accept_loop.h"
#include "transport/device_stream.h"
#include "transport/socket_liveness.h"
#if IPC_LINUX_TRANSPORT
#include "transport/unix_socket_stream.h"
#endif

#include <QFile>
#include <QLocalSocket>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace ipc {

namespace {

// How often the socket file is looked at: it costs one lstat().
constexpr std::chrono::seconds FileCheckInterval { 2 };

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

} // namespace

UnixListener::UnixListener()
{
    m_fileCheck.setInterval(FileCheckInterval);
    connect(&m_fileCheck, &QTimer::timeout, this, &UnixListener::checkSocketFile);
}

UnixListener::~UnixListener()
{
    close();
}

bool UnixListener::listen(const Address &address, const Options &options)
{
    m_path = address.localPath;
    m_worldAccess = options.worldAccess;
    bool heldElsewhere = false;
    QString why;
    if (!m_lock.acquire(m_path + QStringLiteral(".lock"), &heldElsewhere, &why))
        return fail(heldElsewhere ? Error::AddressInUse : Error::PermissionDenied,
            heldElsewhere
                ? QStringLiteral("address in use: a live server is listening on %1").arg(m_path)
                : QStringLiteral("cannot listen on %1: %2").arg(m_path, why));
    if (!clearStaleSocket() || !bindSocket()) {
        m_lock.release();
        return false;
    }
    m_fileCheck.start();
    return true;
}

// Under the lock no libipc server can appear meanwhile; a file that still
// accepts connections belongs to another program's live server: refuse.
bool UnixListener::clearStaleSocket()
{
    const QByteArray path = QFile::encodeName(m_path);
    struct stat info;
    if (::lstat(path.constData(), &info) != 0)
        return true; // nothing there
    if (!S_ISSOCK(info.st_mode))
        return fail(Error::AddressInUse,
            QStringLiteral("address in use: %1 exists and is not a socket").arg(m_path));
    // Asking the kernel first leaves a live server alone; only when it knows of
    // no listener here does a connection attempt decide (a server in another
    // network namespace), which disturbs nobody when the file is stale.
    if (isListeningSocketFile(m_path).value_or(false))
        return fail(Error::AddressInUse,
            QStringLiteral("address in use: a live server is listening on %1").arg(m_path));
    QLocalSocket probe;
    probe.connectToServer(m_path);
    if (probe.waitForConnected(1000)) {
        probe.abort();
        return fail(Error::AddressInUse,
            QStringLiteral("address in use: a live server is listening on %1").arg(m_path));
    }
    if (probe.error() == QLocalSocket::SocketAccessError)
        return fail(Error::PermissionDenied,
            QStringLiteral("cannot listen on %1: the socket belongs to another user").arg(m_path));
    // Only a refusal proves nobody is there; a busy live server can also
    // fail the probe (a full backlog times out) and must keep its file.
    if (probe.error() != QLocalSocket::ConnectionRefusedError
        && probe.error() != QLocalSocket::ServerNotFoundError)
        return fail(Error::AddressInUse,
            QStringLiteral("address in use: %1 did not answer (%2)")
                .arg(m_path, probe.errorString()));
    qCInfo(lcServer) << "removing stale socket file" << m_path;
    if (::unlink(path.constData()) != 0 && errno != ENOENT)
        return fail(Error::PermissionDenied,
            QStringLiteral("cannot remove the stale socket file %1: %2")
                .arg(m_path, systemError(errno)));
    return true;
}

bool UnixListener::bindSocket()
{
    const QByteArray path = QFile::encodeName(m_path);
    sockaddr_un name {};
    name.sun_family = AF_UNIX;
    if (size_t(path.size()) >= sizeof name.sun_path)
        return fail(Error::InvalidAddress,
            QStringLiteral("cannot listen on %1: the path is too long").arg(m_path));
    std::memcpy(name.sun_path, path.constData(), size_t(path.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return fail(Error::SocketError,
            QStringLiteral("cannot listen on %1: %2").arg(m_path, systemError(errno)));
    // Linux gives the file the socket's own mode: owner-only from the start,
    // with no moment in which others could connect.
    ::fchmod(fd, m_worldAccess ? 0777 : 0600);
    if (::bind(fd, reinterpret_cast<const sockaddr *>(&name), sizeof name) != 0) {
        const int error = errno;
        ::close(fd);
        return fail(error == EADDRINUSE ? Error::AddressInUse
                : error == EACCES       ? Error::PermissionDenied
                                        : Error::SocketError,
            QStringLiteral("cannot listen on %1: %2").arg(m_path, systemError(error)));
    }
    // Elsewhere fchmod() on a socket does nothing; the umask may also have
    // narrowed a world-access file.
    ::chmod(path.constData(), m_worldAccess ? 0777 : 0600);
    if (::listen(fd, maximumBacklog()) != 0) {
        const int error = errno;
        ::unlink(path.constData());
        ::close(fd);
        return fail(Error::SocketError,
            QStringLiteral("cannot listen on %1: %2").arg(m_path, systemError(error)));
    }
    m_fd = fd;
    m_file = transport::FileIdentity::of(m_path);
    m_fileTroubleReported = false;
    m_accepting = std::make_unique<transport::AcceptLoop>(fd);
    connect(m_accepting.get(), &transport::AcceptLoop::accepted, this, &UnixListener::onAccepted);
    connect(m_accepting.get(), &transport::AcceptLoop::trouble, this, &Listener::trouble);
    return true;
}

void UnixListener::onAccepted(int descriptor)
{
#if IPC_LINUX_TRANSPORT
    if (transport::linuxTransport()) {
        Q_EMIT newStream(new UnixSocketStream(descriptor));
        return;
    }
#endif
    auto *socket = new QLocalSocket;
    if (!socket->setSocketDescriptor(descriptor)) {
        ::close(descriptor);
        delete socket;
        return;
    }
    Q_EMIT newStream(new DeviceStream(socket));
}

// A file deleted under a running server (a cleanup script, a second
// program's start-up) leaves it unreachable by name. Deleted: it is made
// again, as the name is still ours. Replaced: it belongs to someone else now.
void UnixListener::checkSocketFile()
{
    const transport::FileIdentity now = transport::FileIdentity::of(m_path);
    if (now == m_file)
        return;
    if (!now.exists) {
        qCWarning(lcServer).noquote()
            << "the socket file" << m_path << "was deleted; listening on a new one";
        closeSocket();
        if (bindSocket())
            return;
        Q_EMIT trouble(error(), errorString());
        return;
    }
    if (m_fileTroubleReported)
        return;
    m_fileTroubleReported = true;
    const QString reason
        = QStringLiteral("the socket file %1 was replaced by another program's: new clients reach "
                         "that one, not this server (its connected clients are still served)")
              .arg(m_path);
    qCWarning(lcServer).noquote() << reason;
    Q_EMIT trouble(Error::AddressInUse, reason);
}

void UnixListener::closeSocket()
{
    m_accepting.reset();
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

void UnixListener::close()
{
    m_fileCheck.stop();
    const bool bound = m_fd >= 0;
    closeSocket();
    // Only our own file: one that replaced it belongs to a live server.
    if (bound && transport::FileIdentity::of(m_path) == m_file)
        ::unlink(QFile::encodeName(m_path).constData());
    m_lock.release();
}

QString UnixListener::listeningAddress() const
{
    return m_path;
}

} // namespace ipc
