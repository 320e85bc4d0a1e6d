#include "logging.h"
#include "minipc/peers.h"
#include "minipc/run_later.h"
#include "wire/line_reader.h"

#include <ipc/minipc.h>
#include <ipc/server.h>

#include <QSet>
#include <QTimer>

#include <map>

namespace ipc {

class ServeTaskPrivate
{
public:
    ServeTaskPrivate(ServeTask *q, const QString &address, const QByteArray &message, int broadcast,
                     const MinipcOptions &options)
        : q(q)
        , address(address)
        , message(message)
        , broadcast(qMax(broadcast, 1))
        , options(options)
    {
        deadline.setParent(q); // moveToThread() takes it along
        deadline.setSingleShot(true);
        QObject::connect(&deadline, &QTimer::timeout, q, [this] { onDeadline(); });
    }

    bool start();
    void onArrived(quint64 id);
    void onLeft(quint64 id);
    void serveAll();
    void onDeadline();
    void finish(bool ok, const QString &error = QString());

    ServeTask *q;
    QString address;
    QByteArray message;
    int broadcast;
    MinipcOptions options;
    ServeCallback callback;
    MinipcResult result;
    bool finished = false;
    bool served = false;
    QTimer deadline;

    std::unique_ptr<Server> server;
    QList<quint64> waiting;
    std::map<quint64, std::unique_ptr<ServerSidePeer>> peers; // one per arrived client
    QSet<quint64> stillConnected;
};

bool ServeTaskPrivate::start()
{
    if (options.protocol == Protocol::Line) {
        QByteArray unused;
        QString error;
        if (!wire::encodeLine(message, &unused, &error)) {
            finish(false, error);
            return false;
        }
    }
    ServerConfig config;
    config.protocol = options.protocol;
    config.encryption = options.encryption;
    config.preSharedKey = options.preSharedKey;
    config.maxMessageSize = options.maxMessageSize;
    config.maxClients = broadcast; // exactly `broadcast` clients, as MinIPC
    server = std::make_unique<Server>(address, config);
    QObject::connect(server.get(), &Server::clientConnected, q, [this](quint64 id) {
        // The peer collects the client's messages from now on, before serving.
        peers[id] = std::make_unique<ServerSidePeer>(server.get(), id, bool(callback),
                                                     2 * qsizetype(options.maxMessageSize));
        runLater(q, [this, id] { onArrived(id); });
    });
    QObject::connect(server.get(), &Server::clientDisconnected, q, [this](quint64 id) { onLeft(id); });
    if (!server->listen()) {
        finish(false, QStringLiteral("failed to create server: %1").arg(server->errorString()));
        return false;
    }
    return true;
}

void ServeTaskPrivate::onArrived(quint64 id)
{
    if (served || server->clientInfo(id).id == 0)
        return; // left again before this deferred call ran
    waiting.append(id);
    Q_EMIT q->clientArrived(int(waiting.size()));
    if (int(waiting.size()) < broadcast)
        return;
    served = true;
    stillConnected = QSet<quint64>(waiting.cbegin(), waiting.cend());
    serveAll();
    // MinIPC's server closes each connection once its line has gone out;
    // native eaters close after their message themselves.
    if (options.protocol == Protocol::Line) {
        for (quint64 client : waiting)
            server->disconnectClient(client);
    }
}

// The task ends when every served client has left.
void ServeTaskPrivate::onLeft(quint64 id)
{
    if (!served) {
        waiting.removeAll(id);
        peers.erase(id);
        return;
    }
    stillConnected.remove(id);
    if (stillConnected.isEmpty())
        finish(result.error.isEmpty(), result.error);
}

void ServeTaskPrivate::serveAll()
{
    QList<Peer *> served;
    for (quint64 client : waiting)
        served.append(peers.at(client).get());
    result.clients = int(served.size());
    if (callback) {
        callback(served, message);
        return;
    }
    for (Peer *peer : served) {
        if (!peer->send(message) && result.error.isEmpty())
            result.error = peer->errorString();
    }
}

void ServeTaskPrivate::onDeadline()
{
    if (!served) {
        finish(false, QStringLiteral("timed out: %1 of %2 clients arrived within %3 ms")
                          .arg(waiting.size())
                          .arg(broadcast)
                          .arg(options.timeout.count()));
        return;
    }
    // Served, but some client never closed: what was sent has been handed over.
    finish(result.error.isEmpty(), result.error);
}

void ServeTaskPrivate::finish(bool ok, const QString &error)
{
    if (finished)
        return;
    finished = true;
    deadline.stop();
    result.ok = ok;
    result.error = error;
    if (server)
        server->close();
    if (!ok)
        qCInfo(lcServer).noquote() << "serve failed:" << error;
    Q_EMIT q->finished(ok);
}

ServeTask::ServeTask(const QString &address, const QByteArray &message, int broadcast,
                     const MinipcOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<ServeTaskPrivate>(this, address, message, broadcast, options))
{
}

ServeTask::~ServeTask() = default;

void ServeTask::setCallback(const ServeCallback &callback)
{
    d->callback = callback;
}

bool ServeTask::start()
{
    if (d->options.timeout.count() > 0)
        d->deadline.start(d->options.timeout);
    return d->start();
}

QString ServeTask::listeningAddress() const
{
    return d->server ? d->server->listeningAddress() : QString();
}

MinipcResult ServeTask::result() const
{
    return d->result;
}

bool ServeTask::isFinished() const
{
    return d->finished;
}

} // namespace ipc
