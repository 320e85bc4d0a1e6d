#include "dbus_transport.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusServer>
#include <QDeadlineTimer>

#include <vector>

namespace {

const QString echoPath = QStringLiteral("/echo");
const QString echoInterface = QStringLiteral("org.libipc.Bench");
const QString echoMethod = QStringLiteral("echo");

QDBusMessage echoCall(const QByteArray &payload)
{
    QDBusMessage call = QDBusMessage::createMethodCall(QString(), echoPath, echoInterface, echoMethod);
    call << payload;
    return call;
}

class DbusClient : public BenchClient
{
public:
    ~DbusClient() override
    {
        if (!m_name.isEmpty())
            QDBusConnection::disconnectFromPeer(m_name);
    }

    bool connectTo(const QString &address, int timeoutMs) override
    {
        static int connections = 0;
        m_name = QStringLiteral("ipc-bench-%1").arg(++connections);
        m_connection = std::make_unique<QDBusConnection>(QDBusConnection::connectToPeer(address, m_name));
        if (!m_connection->isConnected())
            return false;
        // The server registers its object when it sees the connection;
        // call until the object answers.
        const QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            if (m_connection->call(echoCall("hello"), QDBus::Block, timeoutMs).type() == QDBusMessage::ReplyMessage)
                return true;
        }
        return false;
    }

    void send(const QByteArray &) override {}
    void flush() override {}

    // An asynchronous call and its watcher, as an event-driven application
    // would make it (a blocking call() would stop the event loop).
    bool request(const QByteArray &payload) override
    {
        auto *watcher = new QDBusPendingCallWatcher(m_connection->asyncCall(echoCall(payload)));
        QObject::connect(watcher, &QDBusPendingCallWatcher::finished, watcher, [this](QDBusPendingCallWatcher *w) {
            w->deleteLater();
            const QDBusPendingReply<QByteArray> reply = *w;
            if (onReply)
                onReply(reply.isError() ? QByteArray() : reply.value());
        });
        return true;
    }

private:
    QString m_name;
    std::unique_ptr<QDBusConnection> m_connection;
};

class DbusServer : public BenchServer
{
public:
    bool listen(const QString &) override
    {
        m_server = std::make_unique<QDBusServer>(QStringLiteral("unix:tmpdir=/tmp"));
        if (!m_server->isConnected())
            return false;
        QObject::connect(m_server.get(), &QDBusServer::newConnection, &m_echo, [this](const QDBusConnection &c) {
            QDBusConnection connection(c);
            connection.registerObject(echoPath, &m_echo, QDBusConnection::ExportAllSlots);
            m_connections.push_back(connection);
        });
        return true;
    }

    QString address() const override { return m_server->address(); }
    void send(quint64, const QByteArray &) override {}
    void broadcast(const QByteArray &) override {}
    int connectionCount() const override { return int(m_connections.size()); }

private:
    DbusEcho m_echo;
    std::unique_ptr<QDBusServer> m_server;
    std::vector<QDBusConnection> m_connections;
};

} // namespace

std::unique_ptr<BenchClient> makeDbusClient()
{
    return std::make_unique<DbusClient>();
}

std::unique_ptr<BenchServer> makeDbusServer()
{
    return std::make_unique<DbusServer>();
}
