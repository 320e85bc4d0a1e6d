#include "unix_transport.h"

#include <QSocketNotifier>
#include <QtEndian>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace {

bool fillAddress(const QString &path, sockaddr_un *address)
{
    const QByteArray name = path.toLocal8Bit();
    if (name.size() >= qsizetype(sizeof address->sun_path))
        return false;
    std::memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    std::memcpy(address->sun_path, name.constData(), size_t(name.size()));
    return true;
}

// Writes everything, waiting for room as a blocking socket would.
bool writeAll(int fd, iovec *parts, int count)
{
    int part = 0;
    while (part < count) {
        const ssize_t sent = ::writev(fd, parts + part, count - part);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return false;
            pollfd wait{fd, POLLOUT, 0};
            ::poll(&wait, 1, -1);
            continue;
        }
        size_t left = size_t(sent);
        while (part < count && left >= parts[part].iov_len)
            left -= parts[part++].iov_len;
        if (part < count) {
            parts[part].iov_base = static_cast<char *>(parts[part].iov_base) + left;
            parts[part].iov_len -= left;
        }
    }
    return true;
}

// One connection: frames read with as few system calls as the kernel allows,
// each body straight into the buffer it is handed over from.
class UnixConnection
{
public:
    explicit UnixConnection(int fd)
        : m_fd(fd)
        , m_notifier(fd, QSocketNotifier::Read)
    {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        QObject::connect(&m_notifier, &QSocketNotifier::activated, [this] { readAvailable(); });
    }
    ~UnixConnection() { ::close(m_fd); }

    // Small messages are gathered and written together (at 64 KiB or on
    // flush()), as any sender of many small messages would; a large one goes
    // out at once, straight from the caller's buffer.
    void send(const QByteArray &payload)
    {
        char header[4];
        qToBigEndian<quint32>(quint32(payload.size()), header);
        if (payload.size() < 4096) {
            m_pending.append(header, 4).append(payload);
            if (m_pending.size() >= 64 * 1024)
                flush();
            return;
        }
        iovec parts[3] = {{m_pending.data(), size_t(m_pending.size())},
                          {header, 4},
                          {const_cast<char *>(payload.constData()), size_t(payload.size())}};
        writeAll(m_fd, parts, 3);
        m_pending.clear();
    }

    void flush()
    {
        iovec part{m_pending.data(), size_t(m_pending.size())};
        if (!m_pending.isEmpty())
            writeAll(m_fd, &part, 1);
        m_pending.clear();
    }

    std::function<void(const QByteArray &)> onMessage; // a view into the buffer
    std::function<void()> onClosed;

private:
    void readAvailable()
    {
        for (;;) {
            // Room for the whole frame now arriving, or for the next header.
            size_t wanted = 4;
            if (m_filled >= 4)
                wanted = 4 + qFromBigEndian<quint32>(m_buffer.data());
            if (m_buffer.size() < qMax<size_t>(wanted, 256 * 1024))
                m_buffer.resize(qMax<size_t>(wanted, 256 * 1024));
            const ssize_t got = ::read(m_fd, m_buffer.data() + m_filled, m_buffer.size() - m_filled);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                m_notifier.setEnabled(false);
                if (onClosed)
                    onClosed();
                return;
            }
            if (got < 0)
                return;
            m_filled += size_t(got);
            size_t offset = 0;
            while (m_filled - offset >= 4) {
                const quint32 length = qFromBigEndian<quint32>(m_buffer.data() + offset);
                if (m_filled - offset - 4 < length)
                    break;
                if (onMessage)
                    onMessage(QByteArray::fromRawData(m_buffer.data() + offset + 4, length));
                offset += 4 + length;
            }
            if (offset > 0) {
                std::memmove(m_buffer.data(), m_buffer.data() + offset, m_filled - offset);
                m_filled -= offset;
            }
        }
    }

    int m_fd;
    QSocketNotifier m_notifier;
    std::vector<char> m_buffer;
    size_t m_filled = 0;
    QByteArray m_pending;
};

class UnixClient : public BenchClient
{
public:
    bool connectTo(const QString &address, int) override
    {
        sockaddr_un name;
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || !fillAddress(address, &name)
            || ::connect(fd, reinterpret_cast<sockaddr *>(&name), sizeof name) != 0) {
            if (fd >= 0)
                ::close(fd);
            return false;
        }
        m_connection = std::make_unique<UnixConnection>(fd);
        m_connection->onMessage = [this](const QByteArray &p) {
            if (onMessage)
                onMessage(QByteArray(p.constData(), p.size()));
        };
        return true;
    }
    void send(const QByteArray &payload) override { m_connection->send(payload); }
    void flush() override { m_connection->flush(); }

private:
    std::unique_ptr<UnixConnection> m_connection;
};

class UnixServer : public BenchServer
{
public:
    ~UnixServer() override
    {
        m_connections.clear();
        if (m_listener >= 0) {
            ::close(m_listener);
            ::unlink(m_path.toLocal8Bit().constData());
        }
    }

    bool listen(const QString &address) override
    {
        sockaddr_un name;
        m_path = address;
        ::unlink(address.toLocal8Bit().constData());
        m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m_listener < 0 || !fillAddress(address, &name)
            || ::bind(m_listener, reinterpret_cast<sockaddr *>(&name), sizeof name) != 0
            || ::listen(m_listener, 4096) != 0)
            return false;
        m_accepting = std::make_unique<QSocketNotifier>(m_listener, QSocketNotifier::Read);
        QObject::connect(m_accepting.get(), &QSocketNotifier::activated, [this] { acceptAll(); });
        return true;
    }

    QString address() const override { return m_path; }

    void send(quint64 connection, const QByteArray &payload) override
    {
        const auto it = m_connections.find(connection);
        if (it != m_connections.end()) {
            it->second->send(payload);
            it->second->flush();
        }
    }

    void broadcast(const QByteArray &payload) override
    {
        for (auto &entry : m_connections) {
            entry.second->send(payload);
            entry.second->flush();
        }
    }

    int connectionCount() const override { return int(m_connections.size()); }

private:
    void acceptAll()
    {
        int fd;
        while ((fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
            const quint64 id = ++m_nextId;
            auto connection = std::make_unique<UnixConnection>(fd);
            connection->onMessage = [this, id](const QByteArray &p) {
                if (onMessage)
                    onMessage(id, p);
            };
            connection->onClosed = [this, id] { m_closed.push_back(id); };
            m_connections[id] = std::move(connection);
        }
        // Closed connections go here, outside their own read handler.
        for (quint64 id : m_closed)
            m_connections.erase(id);
        m_closed.clear();
    }

    QString m_path;
    int m_listener = -1;
    std::unique_ptr<QSocketNotifier> m_accepting;
    std::map<quint64, std::unique_ptr<UnixConnection>> m_connections;
    std::vector<quint64> m_closed;
    quint64 m_nextId = 0;
};

} // namespace

std::unique_ptr<BenchClient> makeUnixClient()
{
    return std::make_unique<UnixClient>();
}

std::unique_ptr<BenchServer> makeUnixServer()
{
    return std::make_unique<UnixServer>();
}
