#include "transports.h"

#include "unix_transport.h"
#ifdef IPC_BENCH_HAVE_ZMQ
#include "zmq_transport.h"
#endif
#ifdef IPC_BENCH_HAVE_QTRO
#include "qtro_transport.h"
#endif
#ifdef IPC_BENCH_HAVE_DBUS
#include "dbus_transport.h"
#endif

#include <ipc/client.h>
#include <ipc/server.h>

#include <QLocalServer>
#include <QLocalSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtEndian>

#include <map>

namespace {

// Minimal framing over a raw socket: length (4, big-endian) + payload,
// parsed with an offset so a burst costs no per-frame trimming.
class RawConnection : public QObject
{
public:
    explicit RawConnection(QIODevice *device)
        : m_device(device)
    {
        connect(device, &QIODevice::readyRead, this, &RawConnection::onReadyRead);
    }

    void send(const QByteArray &payload)
    {
        char header[4];
        qToBigEndian<quint32>(quint32(payload.size()), header);
        m_device->write(header, 4);
        m_device->write(payload);
    }

    void flush()
    {
        if (auto *local = qobject_cast<QLocalSocket *>(m_device))
            local->flush();
        else if (auto *tcp = qobject_cast<QTcpSocket *>(m_device))
            tcp->flush();
    }

    std::function<void(const QByteArray &)> onMessage;

private:
    void onReadyRead()
    {
        m_buffer.append(m_device->readAll());
        qsizetype offset = 0;
        while (m_buffer.size() - offset >= 4) {
            const quint32 length = qFromBigEndian<quint32>(m_buffer.constData() + offset);
            if (m_buffer.size() - offset - 4 < qsizetype(length))
                break;
            if (onMessage)
                onMessage(m_buffer.mid(offset + 4, length));
            offset += 4 + length;
        }
        m_buffer.remove(0, offset);
    }

    QIODevice *m_device;
    QByteArray m_buffer;
};

class RawClient : public BenchClient
{
public:
    explicit RawClient(bool local)
    {
        if (local)
            m_socket.reset(new QLocalSocket);
        else
            m_socket.reset(new QTcpSocket);
        m_connection = std::make_unique<RawConnection>(m_socket.get());
        m_connection->onMessage = [this](const QByteArray &p) { if (onMessage) onMessage(p); };
    }

    bool connectTo(const QString &address, int timeoutMs) override
    {
        if (auto *local = qobject_cast<QLocalSocket *>(m_socket.get())) {
            local->connectToServer(address);
            return local->waitForConnected(timeoutMs);
        }
        auto *tcp = static_cast<QTcpSocket *>(m_socket.get());
        const QString hostPort = address.mid(6); // tcp://
        tcp->connectToHost(hostPort.section(QLatin1Char(':'), 0, 0), hostPort.section(QLatin1Char(':'), 1).toUShort());
        if (!tcp->waitForConnected(timeoutMs))
            return false;
        tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        return true;
    }

    void send(const QByteArray &payload) override { m_connection->send(payload); }
    void flush() override { m_connection->flush(); }

private:
    std::unique_ptr<QIODevice> m_socket;
    std::unique_ptr<RawConnection> m_connection;
};

class RawServer : public BenchServer
{
public:
    explicit RawServer(bool local)
        : m_local(local)
    {
    }

    bool listen(const QString &address) override
    {
        if (m_local) {
            m_localServer = std::make_unique<QLocalServer>();
            QLocalServer::removeServer(address);
            QObject::connect(m_localServer.get(), &QLocalServer::newConnection, [this] {
                while (QLocalSocket *s = m_localServer->nextPendingConnection())
                    adopt(s);
            });
            return m_localServer->listen(address);
        }
        m_tcpServer = std::make_unique<QTcpServer>();
        QObject::connect(m_tcpServer.get(), &QTcpServer::newConnection, [this] {
            while (QTcpSocket *s = m_tcpServer->nextPendingConnection()) {
                s->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                adopt(s);
            }
        });
        return m_tcpServer->listen(QHostAddress::LocalHost, 0);
    }

    QString address() const override
    {
        return m_local ? m_localServer->fullServerName()
                       : QStringLiteral("tcp://127.0.0.1:%1").arg(m_tcpServer->serverPort());
    }

    void send(quint64 connection, const QByteArray &payload) override
    {
        const auto it = m_connections.find(connection);
        if (it != m_connections.end())
            it->second->send(payload);
    }

    void broadcast(const QByteArray &payload) override
    {
        for (auto &entry : m_connections)
            entry.second->send(payload);
    }

    int connectionCount() const override { return int(m_connections.size()); }

private:
    void adopt(QIODevice *socket)
    {
        const quint64 id = ++m_nextId;
        auto connection = std::make_unique<RawConnection>(socket);
        connection->onMessage = [this, id](const QByteArray &p) { if (onMessage) onMessage(id, p); };
        auto destroy = [this, id] { m_connections.erase(id); };
        if (auto *local = qobject_cast<QLocalSocket *>(socket))
            QObject::connect(local, &QLocalSocket::disconnected, connection.get(), destroy, Qt::QueuedConnection);
        else
            QObject::connect(static_cast<QTcpSocket *>(socket), &QTcpSocket::disconnected, connection.get(), destroy, Qt::QueuedConnection);
        socket->setParent(connection.get());
        m_connections[id] = std::move(connection);
    }

    bool m_local;
    std::unique_ptr<QLocalServer> m_localServer;
    std::unique_ptr<QTcpServer> m_tcpServer;
    std::map<quint64, std::unique_ptr<RawConnection>> m_connections;
    quint64 m_nextId = 0;
};

class IpcClient : public BenchClient
{
public:
    IpcClient(bool encrypted, bool monitored)
    {
        m_config.encryptionRequired = encrypted;
        m_config.monitoring = monitored ? ipc::Monitoring::On : ipc::Monitoring::Off;
        m_config.maxMessageSize = 64 << 20;
        // The scenarios queue as fast as they produce: no bound on the queue.
        m_config.writeQueueLimit = 1 << 30;
        m_config.writeQueueBytes = 0;
    }

    bool connectTo(const QString &address, int timeoutMs) override
    {
        m_client = std::make_unique<ipc::Client>(address, m_config);
        QObject::connect(m_client.get(), &ipc::Client::messageReceived, [this](const ipc::Message &m) {
            if (onMessage)
                onMessage(m.data);
        });
        return m_client->waitForConnected(std::chrono::milliseconds(timeoutMs));
    }

    void send(const QByteArray &payload) override
    {
        if (!m_client->write(1, payload) && !std::exchange(m_refusalReported, true))
            qWarning("libipc client: write refused: %s", qPrintable(m_client->errorString()));
    }
    void flush() override {}

    // The next request is sent from the continuation, which then() with a
    // context in the same thread runs directly when the reply is read (as
    // the round-trip scenario sends from messageReceived), so no extra
    // event-loop turn is measured. The default timeout (30 s) is kept: what
    // an application pays.
    bool request(const QByteArray &payload) override
    {
        m_client->request(1, payload).then(m_client.get(), [this](const ipc::Reply &reply) {
            if (onReply)
                onReply(reply.isOk() ? reply.message.data : QByteArray());
        });
        return true;
    }

private:
    ipc::ClientConfig m_config;
    std::unique_ptr<ipc::Client> m_client;
    bool m_refusalReported = false;
};

class IpcServer : public BenchServer
{
public:
    IpcServer(bool local, bool encrypted, bool golangV2, bool monitored)
        : m_local(local)
    {
        m_config.monitoring = monitored ? ipc::Monitoring::On : ipc::Monitoring::Off;
        m_config.protocol = golangV2 ? ipc::Protocol::GolangIpcV2 : ipc::Protocol::Native;
        m_config.encryption = encrypted;
        m_config.maxMessageSize = 64 << 20;
        m_config.handshakeTimeout = std::chrono::seconds(60);
    }

    bool listen(const QString &address) override
    {
        m_server = std::make_unique<ipc::Server>(m_local ? address : QStringLiteral("tcp://127.0.0.1:0"), m_config);
        QObject::connect(m_server.get(), &ipc::Server::messageReceived, [this](const ipc::Message &m) {
            if (m.isRequest())
                m_server->reply(m, 1, m.data);
            else if (onMessage)
                onMessage(m.clientId, m.data);
        });
        return m_server->listen();
    }

    QString address() const override { return m_server->listeningAddress(); }
    void send(quint64 connection, const QByteArray &payload) override { m_server->write(connection, 1, payload); }
    void broadcast(const QByteArray &payload) override { m_server->broadcast(1, payload); }
    int connectionCount() const override { return m_server->clientCount(); }

private:
    bool m_local;
    ipc::ServerConfig m_config;
    std::unique_ptr<ipc::Server> m_server;
};

} // namespace

QList<Impl> allImpls()
{
    QList<Impl> impls = {
        {QStringLiteral("c-unix-socket"), Impl::Unix, true, false},
        {QStringLiteral("raw-local"), Impl::Raw, true, false},
        {QStringLiteral("libipc-local-plain"), Impl::Libipc, true, false},
        {QStringLiteral("libipc-local-encrypted"), Impl::Libipc, true, true},
        {QStringLiteral("libipc-local-monitored"), Impl::Libipc, true, false, false, true},
        {QStringLiteral("libipc-local-v2-plain"), Impl::Libipc, true, false, true},
        {QStringLiteral("libipc-local-v2-encrypted"), Impl::Libipc, true, true, true},
#ifdef IPC_BENCH_HAVE_ZMQ
        {QStringLiteral("zeromq-ipc"), Impl::Zmq, true, false},
#endif
#ifdef IPC_BENCH_HAVE_QTRO
        {QStringLiteral("qtro-local"), Impl::Qtro, true, false},
#endif
#ifdef IPC_BENCH_HAVE_DBUS
        {QStringLiteral("dbus-p2p"), Impl::Dbus, true, false},
#endif
        {QStringLiteral("raw-tcp"), Impl::Raw, false, false},
        {QStringLiteral("libipc-tcp-plain"), Impl::Libipc, false, false},
        {QStringLiteral("libipc-tcp-encrypted"), Impl::Libipc, false, true},
#ifdef IPC_BENCH_HAVE_QTRO
        {QStringLiteral("qtro-tcp"), Impl::Qtro, false, false},
#endif
    };
    return impls;
}

Impl implByName(const QString &name)
{
    for (const Impl &impl : allImpls()) {
        if (impl.name == name)
            return impl;
    }
    return Impl{};
}

std::unique_ptr<BenchClient> makeClient(const Impl &impl)
{
    switch (impl.kind) {
    case Impl::Libipc: return std::make_unique<IpcClient>(impl.encrypted, impl.monitored);
    case Impl::Unix: return makeUnixClient();
#ifdef IPC_BENCH_HAVE_ZMQ
    case Impl::Zmq: return makeZmqClient();
#endif
#ifdef IPC_BENCH_HAVE_QTRO
    case Impl::Qtro: return makeQtroClient();
#endif
#ifdef IPC_BENCH_HAVE_DBUS
    case Impl::Dbus: return makeDbusClient();
#endif
    default: return std::make_unique<RawClient>(impl.local);
    }
}

std::unique_ptr<BenchServer> makeServer(const Impl &impl)
{
    switch (impl.kind) {
    case Impl::Libipc: return std::make_unique<IpcServer>(impl.local, impl.encrypted, impl.golangV2, impl.monitored);
    case Impl::Unix: return makeUnixServer();
#ifdef IPC_BENCH_HAVE_ZMQ
    case Impl::Zmq: return makeZmqServer();
#endif
#ifdef IPC_BENCH_HAVE_QTRO
    case Impl::Qtro: return makeQtroServer(impl.local);
#endif
#ifdef IPC_BENCH_HAVE_DBUS
    case Impl::Dbus: return makeDbusServer();
#endif
    default: return std::make_unique<RawServer>(impl.local);
    }
}
