#include "transport/accept_loop.h"

#include "logging.h"

#include <QPointer>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ipc::transport {

namespace {

// Enough to drain a burst quickly, few enough that other sockets get their turn.
constexpr int MaxAcceptsPerPass = 64;
constexpr std::chrono::milliseconds PauseWhenStuck { 200 };

int openSpare()
{
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int acceptOne(int listening)
{
#ifdef Q_OS_LINUX
    return ::accept4(listening, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
#else
    const int fd = ::accept(listening, nullptr, nullptr);
    if (fd >= 0) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return fd;
#endif
}

bool isShortage(int error)
{
    return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

} // namespace

AcceptLoop::AcceptLoop(int listening, QObject *parent)
    : QObject(parent)
    , m_listening(listening)
    , m_spare(openSpare())
    , m_notifier(listening, QSocketNotifier::Read)
{
    connect(&m_notifier, &QSocketNotifier::activated, this, &AcceptLoop::acceptWaiting);
    m_resume.setSingleShot(true);
    connect(&m_resume, &QTimer::timeout, this, [this] {
        m_notifier.setEnabled(true);
        acceptWaiting();
    });
}

AcceptLoop::~AcceptLoop()
{
    if (m_spare >= 0)
        ::close(m_spare);
}

void AcceptLoop::acceptWaiting()
{
    const QPointer<AcceptLoop> alive(this); // a slot may close the listener
    for (int i = 0; i < MaxAcceptsPerPass && alive && m_notifier.isEnabled(); ++i) {
        const int fd = acceptOne(m_listening);
        if (fd >= 0) {
            if (m_refusedInStretch > 0) {
                qCInfo(lcServer) << "accepting again after refusing" << m_refusedInStretch
                                 << "connection(s) for want of file descriptors";
                m_refusedInStretch = 0;
            }
            if (m_spare < 0)
                m_spare = openSpare();
            Q_EMIT accepted(fd);
            continue;
        }
        const int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK)
            return; // all taken; the notifier says when more come
        if (error == EINTR || error == ECONNABORTED || error == EPROTO)
            continue; // that one connection is gone, not the listener
        if (isShortage(error)) {
            refuseOne(error);
            continue;
        }
        Q_EMIT trouble(Error::SocketError,
            QStringLiteral("accepting connections failed: %1")
                .arg(QString::fromLocal8Bit(std::strerror(error))));
        if (alive)
            pause();
        return;
    }
    // More may wait: the level-triggered notifier fires again on the next pass.
}

// Out of descriptors, a waiting connection would keep the listener readable
// and the loop spinning. Giving up the spare descriptor lets it be accepted
// and closed: its client hears at once that it was refused.
void AcceptLoop::refuseOne(int error)
{
    if (m_refusedInStretch++ == 0) {
        const QString reason
            = QStringLiteral("refusing new connections: this process has no file descriptor "
                             "left (%1); connected clients are served, and new ones are "
                             "accepted again once descriptors are free")
                  .arg(QString::fromLocal8Bit(std::strerror(error)));
        qCWarning(lcServer).noquote() << reason;
        const QPointer<AcceptLoop> alive(this);
        Q_EMIT trouble(Error::SocketError, reason);
        if (!alive)
            return;
    }
    ++m_refused;
    if (m_spare >= 0) {
        ::close(m_spare);
        m_spare = -1;
        const int fd = acceptOne(m_listening);
        if (fd >= 0)
            ::close(fd);
        m_spare = openSpare();
        if (fd >= 0 && m_spare >= 0)
            return;
    }
    pause(); // no spare to give: wait instead of spinning
}

void AcceptLoop::pause()
{
    m_notifier.setEnabled(false);
    m_resume.start(PauseWhenStuck);
}

} // namespace ipc::transport
