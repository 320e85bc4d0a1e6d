#include "address.h"
#include "logging.h"
#include "minipc/line_reader.h"
#include "minipc/peers.h"
#include "minipc/run_later.h"

#include <ipc/minipc.h>
#include <ipc/server.h>

#include <QPointer>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
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

    bool startNative();
    bool startLine();
    void onNativeArrived(quint64 id);
    void onNativeLeft(quint64 id);
    void onLineArrived();
    void finishWhenLinesClosed();
    void serveAll(QList<Peer *> peers);
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

    // Native wire
    std::unique_ptr<Server> server;
    QList<quint64> waiting;
    std::map<quint64, std::unique_ptr<ServerSidePeer>> peers; // one per arrived client
    QSet<quint64> stillConnected;
    // Line wire
    std::unique_ptr<QTcpServer> listener;
    QList<QPointer<QTcpSocket>> sockets;
};

bool ServeTaskPrivate::startNative()
{
    ServerConfig config;
    config.encryption = options.encryption;
    config.preSharedKey = options.preSharedKey;
    config.maxMessageSize = options.maxMessageSize;
    config.maxClients = broadcast;
    server = std::make_unique<Server>(address, config);
    QObject::connect(server.get(), &Server::clientConnected, q, [this](quint64 id) {
        // The peer collects the client's messages from now on, before serving.
        peers[id] = std::make_unique<ServerSidePeer>(server.get(), id, bool(callback),
                                                     2 * qsizetype(options.maxMessageSize));
        runLater(q, [this, id] { onNativeArrived(id); });
    });
    QObject::connect(server.get(), &Server::clientDisconnected, q, [this](quint64 id) { onNativeLeft(id); });
    if (!server->listen()) {
        finish(false, QStringLiteral("failed to create server: %1").arg(server->errorString()));
        return false;
    }
    return true;
}

void ServeTaskPrivate::onNativeArrived(quint64 id)
{
    if (served || server->clientInfo(id).id == 0)
        return; // left again before this deferred call ran
    waiting.append(id);
    Q_EMIT q->clientArrived(int(waiting.size()));
    if (int(waiting.size()) < broadcast)
        return;
    QList<Peer *> served;
    for (quint64 client : waiting) {
        served.append(peers.at(client).get());
        stillConnected.insert(client);
    }
    serveAll(served);
}

// Eaters close after their message: the task ends when all have left.
void ServeTaskPrivate::onNativeLeft(quint64 id)
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

bool ServeTaskPrivate::startLine()
{
    QByteArray unused;
    QString error;
    if (!encodeLine(message, &unused, &error)) {
        finish(false, error);
        return false;
    }
    const Address parsed = Address::parse(address);
    if (parsed.kind != Address::Tcp) {
        finish(false, QStringLiteral("failed to create server: the line wire needs a tcp:// address%1")
                          .arg(parsed.error.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(parsed.error)));
        return false;
    }
    listener = std::make_unique<QTcpServer>();
    QObject::connect(listener.get(), &QTcpServer::newConnection, q, [this] { onLineArrived(); });
    if (!listener->listen(parsed.host, parsed.port)) {
        finish(false, QStringLiteral("failed to create server: %1").arg(listener->errorString()));
        return false;
    }
    return true;
}

void ServeTaskPrivate::onLineArrived()
{
    while (QTcpSocket *socket = listener->nextPendingConnection()) {
        if (served || int(sockets.size()) >= broadcast) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        socket->setParent(q);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        // Unread until all have arrived: bound what a chatty client can park here.
        socket->setReadBufferSize(qint64(options.maxMessageSize) + 2);
        sockets.append(socket);
        Q_EMIT q->clientArrived(int(sockets.size()));
    }
    sockets.removeAll(nullptr);
    if (served || int(sockets.size()) < broadcast)
        return;
    listener->close(); // exactly `broadcast` clients, as MinIPC
    std::vector<std::unique_ptr<LinePeer>> owned;
    QList<Peer *> peers;
    for (const auto &socket : sockets) {
        owned.push_back(std::make_unique<LinePeer>(socket.data(), options.maxMessageSize));
        peers.append(owned.back().get());
    }
    serveAll(peers);
    // Close each connection once its line has gone out; then the task is done.
    for (const auto &socket : sockets) {
        QObject::connect(socket, &QTcpSocket::disconnected, q, [this] { finishWhenLinesClosed(); });
        socket->disconnectFromHost();
    }
    finishWhenLinesClosed();
}

void ServeTaskPrivate::finishWhenLinesClosed()
{
    for (const auto &socket : sockets) {
        if (socket && socket->state() != QAbstractSocket::UnconnectedState)
            return;
    }
    finish(result.error.isEmpty(), result.error);
}

void ServeTaskPrivate::serveAll(QList<Peer *> peers)
{
    served = true;
    result.clients = int(peers.size());
    if (callback) {
        callback(peers, message);
        return;
    }
    for (Peer *peer : peers) {
        if (!peer->send(message) && result.error.isEmpty())
            result.error = peer->errorString();
    }
}

void ServeTaskPrivate::onDeadline()
{
    if (!served) {
        finish(false, QStringLiteral("timed out: %1 of %2 clients arrived within %3 ms")
                          .arg(server ? waiting.size() : sockets.size())
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
    if (listener)
        listener->close();
    for (const auto &socket : sockets) {
        if (socket)
            socket->disconnectFromHost();
    }
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
    return d->options.wire == Wire::Line ? d->startLine() : d->startNative();
}

QString ServeTask::listeningAddress() const
{
    if (d->server)
        return d->server->listeningAddress();
    if (d->listener && d->listener->isListening()) {
        Address bound;
        bound.kind = Address::Tcp;
        bound.host = d->listener->serverAddress();
        bound.port = d->listener->serverPort();
        return bound.toString();
    }
    return QString();
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
