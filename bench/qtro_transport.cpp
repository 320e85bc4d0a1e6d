#include "qtro_transport.h"

#include <QRemoteObjectDynamicReplica>
#include <QRemoteObjectHost>
#include <QRemoteObjectNode>
#include <QRemoteObjectPendingCallWatcher>
#include <QTcpServer>
#include <QUrl>

namespace {

// Receives the replica's pong() through an old-style connection, the only
// kind a dynamic replica offers.
class PongReceiver : public QObject
{
    Q_OBJECT
public:
    std::function<void(const QByteArray &)> onPong;
public Q_SLOTS:
    void pong(const QByteArray &payload)
    {
        if (onPong)
            onPong(payload);
    }
};

class QtroClient : public BenchClient
{
public:
    bool connectTo(const QString &address, int timeoutMs) override
    {
        m_node = std::make_unique<QRemoteObjectNode>();
        if (!m_node->connectToNode(QUrl(address)))
            return false;
        m_replica.reset(m_node->acquireDynamic(QStringLiteral("Echo")));
        if (!m_replica->waitForSource(timeoutMs))
            return false;
        m_receiver.onPong = [this](const QByteArray &p) { if (onMessage) onMessage(p); };
        QObject::connect(m_replica.get(), SIGNAL(pong(QByteArray)), &m_receiver, SLOT(pong(QByteArray)));
        return true;
    }

    void send(const QByteArray &payload) override
    {
        QMetaObject::invokeMethod(m_replica.get(), "ping", Q_ARG(QByteArray, payload));
    }
    void flush() override {}

    // A dynamic replica's slot with a return value hands back a
    // QRemoteObjectPendingCall; its watcher says when the reply is in.
    bool request(const QByteArray &payload) override
    {
        QRemoteObjectPendingCall call;
        if (!QMetaObject::invokeMethod(m_replica.get(), "echo", Q_RETURN_ARG(QRemoteObjectPendingCall, call),
                                       Q_ARG(QByteArray, payload)))
            return false;
        auto *watcher = new QRemoteObjectPendingCallWatcher(call, m_replica.get());
        QObject::connect(watcher, &QRemoteObjectPendingCallWatcher::finished, m_replica.get(),
                         [this](QRemoteObjectPendingCallWatcher *w) {
                             w->deleteLater();
                             if (onReply)
                                 onReply(w->error() == QRemoteObjectPendingCall::NoError
                                             ? w->returnValue().toByteArray() : QByteArray());
                         });
        return true;
    }

private:
    std::unique_ptr<QRemoteObjectNode> m_node;
    std::unique_ptr<QRemoteObjectDynamicReplica> m_replica;
    PongReceiver m_receiver;
};

class QtroServer : public BenchServer
{
public:
    explicit QtroServer(bool local)
        : m_local(local)
    {
    }

    bool listen(const QString &address) override
    {
        m_url = m_local ? QStringLiteral("local:%1").arg(address.section(QLatin1Char('/'), -1))
                        : QStringLiteral("tcp://127.0.0.1:%1").arg(address.section(QLatin1Char(':'), -1).toInt());
        if (!m_local && m_url.endsWith(QLatin1String(":0"))) {
            // A remote objects host needs a concrete port: take one the
            // system just handed out.
            QTcpServer probe;
            probe.listen(QHostAddress::LocalHost, 0);
            m_url = QStringLiteral("tcp://127.0.0.1:%1").arg(probe.serverPort());
        }
        m_host = std::make_unique<QRemoteObjectHost>(QUrl(m_url));
        m_source.onPing = [this](const QByteArray &p) { if (onMessage) onMessage(1, p); };
        return m_host->enableRemoting(&m_source, QStringLiteral("Echo"));
    }

    QString address() const override { return m_url; }
    void send(quint64, const QByteArray &payload) override { Q_EMIT m_source.pong(payload); }
    void broadcast(const QByteArray &payload) override { Q_EMIT m_source.pong(payload); }
    int connectionCount() const override { return -1; }

private:
    bool m_local;
    QString m_url;
    EchoSource m_source;
    std::unique_ptr<QRemoteObjectHost> m_host;
};

} // namespace

std::unique_ptr<BenchClient> makeQtroClient()
{
    return std::make_unique<QtroClient>();
}

std::unique_ptr<BenchServer> makeQtroServer(bool local)
{
    return std::make_unique<QtroServer>(local);
}

#include "qtro_transport.moc"
