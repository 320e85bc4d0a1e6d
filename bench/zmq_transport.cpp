#include "zmq_transport.h"

#include <QSocketNotifier>

#include <map>
#include <zmq.hpp>

namespace {

zmq::context_t &context()
{
    static zmq::context_t shared(1);
    return shared;
}

// ZMQ_FD only signals edges: after every wake-up and every send, read until
// ZMQ_EVENTS says nothing more is pending.
class ZmqPump
{
public:
    ZmqPump(zmq::socket_t &socket, std::function<void()> readOne)
        : m_socket(socket)
        , m_readOne(std::move(readOne))
        , m_notifier(m_socket.get(zmq::sockopt::fd), QSocketNotifier::Read)
    {
        QObject::connect(&m_notifier, &QSocketNotifier::activated, [this] { drain(); });
    }

    void drain()
    {
        while (m_socket.get(zmq::sockopt::events) & ZMQ_POLLIN)
            m_readOne();
    }

private:
    zmq::socket_t &m_socket;
    std::function<void()> m_readOne;
    QSocketNotifier m_notifier;
};

class ZmqClient : public BenchClient
{
public:
    bool connectTo(const QString &address, int) override
    {
        m_socket.set(zmq::sockopt::sndhwm, 0);
        m_socket.set(zmq::sockopt::rcvhwm, 0);
        m_socket.connect(address.toStdString());
        m_pump = std::make_unique<ZmqPump>(m_socket, [this] {
            zmq::message_t message;
            if (m_socket.recv(message, zmq::recv_flags::dontwait) && onMessage)
                onMessage(QByteArray(static_cast<const char *>(message.data()), qsizetype(message.size())));
        });
        return true;
    }

    void send(const QByteArray &payload) override
    {
        m_socket.send(zmq::buffer(payload.constData(), size_t(payload.size())), zmq::send_flags::none);
        m_pump->drain();
    }
    void flush() override {}

private:
    zmq::socket_t m_socket{context(), zmq::socket_type::dealer};
    std::unique_ptr<ZmqPump> m_pump;
};

class ZmqServer : public BenchServer
{
public:
    bool listen(const QString &address) override
    {
        m_address = QStringLiteral("ipc://") + address;
        m_socket.set(zmq::sockopt::sndhwm, 0);
        m_socket.set(zmq::sockopt::rcvhwm, 0);
        m_socket.bind(m_address.toStdString());
        m_pump = std::make_unique<ZmqPump>(m_socket, [this] {
            zmq::message_t identity;
            zmq::message_t message;
            if (!m_socket.recv(identity, zmq::recv_flags::dontwait)
                || !m_socket.recv(message, zmq::recv_flags::dontwait))
                return;
            const std::string id(static_cast<const char *>(identity.data()), identity.size());
            const quint64 key = std::hash<std::string>()(id);
            m_peers[key] = id;
            if (onMessage)
                onMessage(key, QByteArray(static_cast<const char *>(message.data()), qsizetype(message.size())));
        });
        return true;
    }

    QString address() const override { return m_address; }

    void send(quint64 connection, const QByteArray &payload) override
    {
        const auto it = m_peers.find(connection);
        if (it == m_peers.end())
            return;
        m_socket.send(zmq::buffer(it->second), zmq::send_flags::sndmore);
        m_socket.send(zmq::buffer(payload.constData(), size_t(payload.size())), zmq::send_flags::none);
        m_pump->drain();
    }

    void broadcast(const QByteArray &payload) override
    {
        for (const auto &entry : m_peers)
            send(entry.first, payload);
    }

    int connectionCount() const override { return int(m_peers.size()); }

private:
    QString m_address;
    zmq::socket_t m_socket{context(), zmq::socket_type::router};
    std::map<quint64, std::string> m_peers;
    std::unique_ptr<ZmqPump> m_pump;
};

} // namespace

std::unique_ptr<BenchClient> makeZmqClient()
{
    return std::make_unique<ZmqClient>();
}

std::unique_ptr<BenchServer> makeZmqServer()
{
    return std::make_unique<ZmqServer>();
}
