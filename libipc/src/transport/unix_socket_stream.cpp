#include "transport/unix_socket_stream.h"

#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>
#include <QThread>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace ipc {

namespace {

// Small writes share a chunk up to this size; larger ones are kept by reference.
constexpr qsizetype ChunkSize = 64 * 1024;
constexpr qsizetype CopyBelow = 4096;
constexpr int MaxIovecs = 64;
// Descriptors received and not yet claimed by a message: more means a peer
// passing descriptors it never uses.
constexpr std::size_t MaxHeldDescriptors = 64;
constexpr int MaxDescriptorsPerRead = 8;
// Holds the place of a descriptor the kernel could not give us, so that the
// ones after it still pair with their messages.
constexpr int LostDescriptor = -1;
// How long a closed stream may keep sending what was written before it.
constexpr int DrainTimeout = 30000;
constexpr std::chrono::milliseconds ConnectRetry { 5 };
// After this process ran out of descriptors, new connections offer no
// memory files for this long, so a resent message takes the stream.
constexpr qint64 DescriptorShortageMs = 60000;
std::atomic<qint64> lastDescriptorShortage { std::numeric_limits<qint64>::min() / 2 };

qint64 monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// MSG_CTRUNC means either a peer that sent more descriptors than fit, or
// no free slot in this process's descriptor table: only one can be dup()ed.
bool outOfDescriptors(int fd)
{
    const int probe = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (probe >= 0) {
        ::close(probe);
        return false;
    }
    return errno == EMFILE || errno == ENFILE;
}

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// After close(): sends what is left, then closes the descriptor, whatever
// becomes of the stream that owned it.
class Drainer : public QObject
{
public:
    Drainer(int fd, UnixSocketStream::SendQueue queue)
        : m_fd(fd)
        , m_queue(std::move(queue))
        , m_notifier(fd, QSocketNotifier::Write, this)
    {
        connect(&m_notifier, &QSocketNotifier::activated, this, [this] {
            if (m_queue.writeTo(m_fd) != UnixSocketStream::SendQueue::Result::Blocked)
                done();
        });
        QTimer::singleShot(DrainTimeout, this, [this] { done(); });
        // A program that returns from main() right after closing still
        // frees it (and closes the descriptor) with the application object.
        QCoreApplication *application = QCoreApplication::instance();
        if (application && application->thread() == QThread::currentThread())
            setParent(application);
    }
    ~Drainer() override { ::close(m_fd); }

private:
    void done()
    {
        m_notifier.setEnabled(false);
        deleteLater();
    }

    int m_fd;
    UnixSocketStream::SendQueue m_queue;
    QSocketNotifier m_notifier;
};

} // namespace

// ---------------------------------------------------------------- SendQueue

UnixSocketStream::SendQueue::~SendQueue()
{
    for (const Chunk &chunk : m_chunks) {
        if (chunk.descriptor >= 0)
            ::close(chunk.descriptor);
    }
}

void UnixSocketStream::SendQueue::append(const char *data, qsizetype size)
{
    if (m_chunks.empty() || !m_chunks.back().appendable
        || m_chunks.back().bytes.size() + size > ChunkSize) {
        Chunk chunk;
        chunk.bytes = std::move(m_spare);
        chunk.bytes.reserve(ChunkSize);
        chunk.appendable = true;
        m_chunks.push_back(std::move(chunk));
    }
    m_chunks.back().bytes.append(data, size);
    m_bytes += size;
}

void UnixSocketStream::SendQueue::append(const QByteArray &bytes, int descriptor)
{
    if (descriptor < 0 && bytes.size() < CopyBelow) {
        append(bytes.constData(), bytes.size());
        return;
    }
    Chunk chunk;
    chunk.bytes = bytes;
    chunk.descriptor = descriptor;
    m_chunks.push_back(std::move(chunk));
    m_bytes += bytes.size();
}

UnixSocketStream::SendQueue::Result UnixSocketStream::SendQueue::writeTo(int fd)
{
    while (!m_chunks.empty()) {
        // One sendmsg() for as many chunks as fit, up to the next descriptor:
        // a descriptor rides alone with its chunk.
        iovec iov[MaxIovecs];
        int count = 0;
        qint64 wanted = 0;
        for (const Chunk &chunk : m_chunks) {
            if (count == MaxIovecs || (count > 0 && chunk.descriptor >= 0))
                break;
            iov[count].iov_base = const_cast<char *>(chunk.bytes.constData()) + chunk.sent;
            iov[count].iov_len = size_t(chunk.bytes.size() - chunk.sent);
            wanted += qint64(iov[count].iov_len);
            ++count;
            if (chunk.descriptor >= 0)
                break;
        }
        msghdr message {};
        message.msg_iov = iov;
        message.msg_iovlen = size_t(count);
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        const int descriptor = m_chunks.front().descriptor;
        if (descriptor >= 0) {
            message.msg_control = control;
            message.msg_controllen = sizeof control;
            cmsghdr *header = CMSG_FIRSTHDR(&message);
            header->cmsg_level = SOL_SOCKET;
            header->cmsg_type = SCM_RIGHTS;
            header->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(header), &descriptor, sizeof(int));
        }
        const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? Result::Blocked : Result::Broken;
        }
        if (descriptor >= 0) {
            ::close(descriptor); // the kernel holds it now
            m_chunks.front().descriptor = -1;
        }
        consume(sent);
        if (sent < wanted)
            return Result::Blocked;
    }
    return Result::Drained;
}

void UnixSocketStream::SendQueue::consume(qint64 sent)
{
    m_bytes -= sent;
    while (sent > 0) {
        Chunk &front = m_chunks.front();
        const qint64 left = front.bytes.size() - front.sent;
        if (sent < left) {
            front.sent += sent;
            return;
        }
        sent -= left;
        if (front.appendable && m_spare.isNull()) {
            m_spare = std::move(front.bytes);
            m_spare.clear(); // keeps the allocation while nobody else shares it
        }
        m_chunks.pop_front();
    }
}

// ---------------------------------------------------------- UnixSocketStream

UnixSocketStream::UnixSocketStream(QObject *parent)
    : Stream(parent)
{
    m_connectRetry.setParent(this);
    m_connectRetry.setSingleShot(true);
    connect(&m_connectRetry, &QTimer::timeout, this, &UnixSocketStream::attemptConnect);
}

UnixSocketStream::UnixSocketStream(int descriptor, QObject *parent)
    : UnixSocketStream(parent)
{
    open(descriptor);
}

UnixSocketStream::~UnixSocketStream()
{
    if (m_fd >= 0)
        ::close(m_fd);
    for (int descriptor : m_received) {
        if (descriptor != LostDescriptor)
            ::close(descriptor);
    }
}

void UnixSocketStream::connectToPeer(const Address &address)
{
    m_path = address.localPath;
    m_peerName = address.toString();
    attemptConnect();
}

void UnixSocketStream::attemptConnect()
{
    if (m_closing)
        return;
    sockaddr_un name {};
    name.sun_family = AF_UNIX;
    const QByteArray path = QFile::encodeName(m_path);
    if (path.size() >= qsizetype(sizeof name.sun_path)) {
        finish(Error::ServerNotFound,
            QStringLiteral("failed to connect: the path %1 is longer than the %2 bytes a "
                           "unix socket address holds")
                .arg(m_path)
                .arg(sizeof name.sun_path - 1));
        return;
    }
    std::memcpy(name.sun_path, path.constData(), size_t(path.size()));
    if (m_fd < 0)
        m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        finish(Error::SocketError, QStringLiteral("failed to connect: %1").arg(systemError(errno)));
        return;
    }
    int result;
    do {
        result = ::connect(m_fd, reinterpret_cast<const sockaddr *>(&name), sizeof name);
    } while (result != 0 && errno == EINTR);
    if (result == 0) {
        const int fd = std::exchange(m_fd, -1);
        open(fd);
        Q_EMIT connected();
        return;
    }
    const int error = errno;
    if (error == EAGAIN || error == EINPROGRESS) {
        // The listener's backlog is full: try again shortly, until the
        // owner's connect timeout closes this stream.
        m_connectRetry.start(ConnectRetry);
        return;
    }
    const Error kind = error == ENOENT || error == ENOTDIR ? Error::ServerNotFound
        : error == ECONNREFUSED                            ? Error::ConnectionRefused
        : error == EACCES || error == EPERM                ? Error::PermissionDenied
                                                           : Error::SocketError;
    finish(kind,
        describe(kind, m_peerName,
            QStringLiteral("failed to connect to %1: %2").arg(m_peerName, systemError(error))));
}

void UnixSocketStream::open(int descriptor)
{
    m_fd = descriptor;
    m_readNotifier = new QSocketNotifier(qintptr(m_fd), QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &UnixSocketStream::onReadable);
}

QString UnixSocketStream::peerName() const
{
    return m_peerName.isEmpty() ? QStringLiteral("local") : m_peerName;
}

PeerCredentials UnixSocketStream::peerCredentials() const
{
    PeerCredentials result;
    ucred credentials {};
    socklen_t size = sizeof credentials;
    if (m_fd < 0 || ::getsockopt(m_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0)
        return result;
    result.pid = credentials.pid;
    result.uid = credentials.uid;
    result.gid = credentials.gid;
    return result;
}

qint64 UnixSocketStream::bytesAvailable() const
{
    if (m_fd < 0 || m_finished || m_closing)
        return 0;
    if (m_knownAvailable == 0 && !m_readAll) {
        int available = 0;
        if (::ioctl(m_fd, FIONREAD, &available) == 0)
            m_knownAvailable = available;
    }
    return m_knownAvailable;
}

qint64 UnixSocketStream::read(char *data, qint64 maxSize)
{
    if (m_fd < 0 || m_finished || m_closing || maxSize <= 0)
        return 0;
    iovec iov { data, size_t(maxSize) };
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * MaxDescriptorsPerRead)];
    msghdr message {};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t got;
    do {
        got = ::recvmsg(m_fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
        m_knownAvailable = 0;
        return 0; // the end of the stream or an error: onReadable() reports it
    }
    // Once what FIONREAD reported is read, the next bytes announce
    // themselves through the read notifier: no second FIONREAD to learn
    // that nothing more is there yet.
    m_readAll = got >= m_knownAvailable;
    m_knownAvailable = qMax<qint64>(0, m_knownAvailable - got);
    for (cmsghdr *header = CMSG_FIRSTHDR(&message); header;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS)
            continue;
        const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int descriptor;
            std::memcpy(&descriptor, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
            m_received.push_back(descriptor);
        }
    }
    if ((message.msg_flags & MSG_CTRUNC) && outOfDescriptors(m_fd)) {
        // Ours to report, not the peer's: the message that needed the
        // descriptor fails when it comes (takeDescriptor()), in its place
        // among the others, and the connection that follows carries large
        // messages in the stream.
        m_received.push_back(LostDescriptor);
        lastDescriptorShortage.store(monotonicMs(), std::memory_order_relaxed);
    } else if (m_received.size() > MaxHeldDescriptors || (message.msg_flags & MSG_CTRUNC)) {
        for (int descriptor : m_received) {
            if (descriptor != LostDescriptor)
                ::close(descriptor);
        }
        m_received.clear();
        finishLater(Error::ProtocolError,
            QStringLiteral(
                "protocol error: the peer passed more file descriptors than its messages use"));
    }
    return got;
}

bool UnixSocketStream::canPassDescriptors() const
{
    return monotonicMs() - lastDescriptorShortage.load(std::memory_order_relaxed)
        > DescriptorShortageMs;
}

int UnixSocketStream::takeDescriptor(QString *whyNone)
{
    if (m_received.empty())
        return -1;
    const int descriptor = m_received.front();
    if (descriptor == LostDescriptor && whyNone)
        *whyNone = QStringLiteral(
            "a large message's memory file could not be received: this process has no "
            "file descriptor left (%1); the connection starts again and carries large "
            "messages in the stream")
                       .arg(systemError(EMFILE));
    m_received.pop_front();
    return descriptor;
}

void UnixSocketStream::onReadable()
{
    if (m_finished || m_closing)
        return;
    m_readAll = false;
    if (bytesAvailable() > 0) {
        Q_EMIT readyRead();
        return;
    }
    // Readable with nothing to read: the end of the stream, an error, or a
    // wake-up for bytes already taken.
    char byte;
    const ssize_t peeked = ::recv(m_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked > 0) {
        Q_EMIT readyRead();
    } else if (peeked == 0) {
        finish(Error::ConnectionLost, QStringLiteral("the peer closed the connection"));
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        const int error = errno;
        finish(error == ECONNRESET ? Error::ConnectionLost : Error::SocketError,
            QStringLiteral("connection lost: %1").arg(systemError(error)));
    }
}

bool UnixSocketStream::write(const char *data, qint64 size)
{
    if (m_fd < 0 || m_finished || m_closing)
        return false;
    m_queue.append(data, size);
    scheduleSend();
    return true;
}

bool UnixSocketStream::write(const QByteArray &bytes)
{
    if (m_fd < 0 || m_finished || m_closing)
        return false;
    m_queue.append(bytes);
    scheduleSend();
    return true;
}

bool UnixSocketStream::writeWithDescriptor(const QByteArray &bytes, int descriptor)
{
    if (m_fd < 0 || m_finished || m_closing) {
        ::close(descriptor);
        return false;
    }
    m_queue.append(bytes, descriptor);
    scheduleSend();
    return true;
}

bool UnixSocketStream::writeQueued()
{
    if (m_queue.writeTo(m_fd) != SendQueue::Result::Broken)
        return true;
    const int error = errno;
    // Reported from the event loop: a write is no place for the owner to
    // learn that the connection ended.
    finishLater(error == EPIPE || error == ECONNRESET ? Error::ConnectionLost : Error::SocketError,
        error == EPIPE || error == ECONNRESET
            ? QStringLiteral("the peer closed the connection")
            : QStringLiteral("write failed: %1").arg(systemError(error)));
    return false;
}

// What was written leaves on the event loop's next turn, all of it in one
// sendmsg(), unless flush() sends it first. Only a queue the kernel would
// not take waits on the write notifier: arming one costs the event loop two
// wake-ups (on and off), a posted send one.
void UnixSocketStream::scheduleSend()
{
    if (m_sendScheduled || (m_writeNotifier && m_writeNotifier->isEnabled()))
        return;
    m_sendScheduled = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_sendScheduled = false;
            if (!m_finished && !m_closing && m_fd >= 0)
                onWritable(); // the owner may add bytes first (runBeforeSend)
        },
        Qt::QueuedConnection);
}

bool UnixSocketStream::requestSend()
{
    if (m_fd < 0 || m_finished || m_closing)
        return false;
    scheduleSend();
    return true;
}

// The owner's last bytes for this send: what it writes joins the queue
// without asking for another send.
void UnixSocketStream::runBeforeSend()
{
    if (!m_beforeSend)
        return;
    const bool scheduled = std::exchange(m_sendScheduled, true);
    m_beforeSend();
    m_sendScheduled = scheduled;
}

// The write notifier is made on the first write the kernel does not take
// whole, and armed only while such a queue waits.
void UnixSocketStream::updateWriteNotifier()
{
    const bool wanted = !m_queue.isEmpty() && !m_finished && m_fd >= 0;
    if (m_writeNotifier) {
        m_writeNotifier->setEnabled(wanted);
    } else if (wanted) {
        m_writeNotifier = new QSocketNotifier(qintptr(m_fd), QSocketNotifier::Write, this);
        connect(m_writeNotifier, &QSocketNotifier::activated, this, &UnixSocketStream::onWritable);
    }
}

void UnixSocketStream::onWritable()
{
    runBeforeSend();
    const qint64 before = m_queue.bytes();
    const bool ok = writeQueued();
    updateWriteNotifier();
    if (ok && m_queue.bytes() < before)
        Q_EMIT bytesWritten();
}

bool UnixSocketStream::flush()
{
    if (m_fd < 0 || m_finished || m_closing)
        return false;
    runBeforeSend();
    if (m_queue.isEmpty())
        return false;
    const qint64 before = m_queue.bytes();
    writeQueued();
    updateWriteNotifier();
    return m_queue.bytes() < before;
}

void UnixSocketStream::close()
{
    if (m_closing)
        return;
    m_closing = true;
    m_finished = true; // a close we asked for is not reported as a loss
    m_connectRetry.stop();
    delete m_readNotifier;
    delete m_writeNotifier;
    m_readNotifier = m_writeNotifier = nullptr;
    if (m_fd < 0)
        return;
    const int fd = std::exchange(m_fd, -1);
    if (!m_queue.isEmpty() && m_queue.writeTo(fd) == SendQueue::Result::Blocked) {
        // The kernel has not taken everything yet: let it drain on its own so
        // close() stays immediate and what was written still leaves.
        new Drainer(fd, std::move(m_queue));
        m_queue = SendQueue();
        return;
    }
    ::close(fd);
}

void UnixSocketStream::finish(Error error, const QString &reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_connectRetry.stop();
    if (m_readNotifier)
        m_readNotifier->setEnabled(false);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
    Q_EMIT closed(error, reason);
}

void UnixSocketStream::finishLater(Error error, const QString &reason)
{
    QMetaObject::invokeMethod(
        this, [this, error, reason] { finish(error, reason); }, Qt::QueuedConnection);
}

} // namespace ipc
