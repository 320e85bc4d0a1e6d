#include "logging.h"
#include "minipc/peers.h"
#include "minipc/run_later.h"

#include <ipc/client.h>
#include <ipc/minipc.h>

#include <QTimer>

namespace ipc {

class EatTaskPrivate
{
public:
    EatTaskPrivate(EatTask *q, const QString &address, const MinipcOptions &options)
        : q(q)
        , address(address)
        , options(options)
    {
        deadline.setParent(q); // moveToThread() takes it along
        deadline.setSingleShot(true);
        QObject::connect(&deadline, &QTimer::timeout, q, [this] {
            finish(false, QStringLiteral("timed out: no message within %1 ms").arg(this->options.timeout.count()));
        });
    }

    void start();
    void finish(bool ok, const QString &error = QString(), const QByteArray &value = QByteArray());

    EatTask *q;
    QString address;
    MinipcOptions options;
    EatCallback callback;
    MinipcResult result;
    bool finished = false;
    bool connected = false;
    QTimer deadline;

    std::unique_ptr<Client> client;
    std::unique_ptr<ClientSidePeer> peer; // keeps messages for the callback
};

static QString connectFailure(const QString &reason)
{
    return reason.startsWith(QLatin1String("failed to connect"))
        ? reason
        : QStringLiteral("failed to connect: %1").arg(reason);
}

void EatTaskPrivate::start()
{
    ClientConfig config;
    config.protocol = options.protocol;
    config.encryptionRequired = options.encryption;
    config.preSharedKey = options.preSharedKey;
    config.maxMessageSize = options.maxMessageSize;
    config.timeout = options.connectTimeout;
    config.maxAttempts = options.connectTimeout.count() > 0 ? 0 : 1;
    client = std::make_unique<Client>(address, config);
    peer = std::make_unique<ClientSidePeer>(client.get(), 2 * qsizetype(options.maxMessageSize));
    QObject::connect(client.get(), &Client::statusChanged, q, [this](Status status) {
        // Once connected, the connection decides (a line server closes after
        // its line and the client's later attempts do not matter).
        if (!connected && (status == Status::Error || status == Status::Timeout))
            finish(false, connectFailure(client->errorString()));
    });
    QObject::connect(client.get(), &Client::connected, q, [this] {
        connected = true;
        if (callback) // else the message arrives through messageReceived
            runLater(q, [this] { finish(true, QString(), callback(*peer)); });
    });
    QObject::connect(client.get(), &Client::messageReceived, q, [this](const Message &message) {
        if (!callback)
            finish(true, QString(), message.data);
    });
    QObject::connect(client.get(), &Client::disconnected, q, [this] {
        if (!callback) // with a callback, its receive() reports a closed connection
            finish(false, QStringLiteral("the server closed the connection before sending a message"));
    });
    if (client->status() == Status::Error)
        finish(false, connectFailure(client->errorString()));
}

void EatTaskPrivate::finish(bool ok, const QString &error, const QByteArray &value)
{
    if (finished)
        return;
    finished = true;
    deadline.stop();
    result.ok = ok;
    result.error = error;
    result.value = value;
    if (client) {
        client->disconnect(q);
        client->close();
    }
    if (!ok)
        qCInfo(lcClient).noquote() << "eat failed:" << error;
    Q_EMIT q->finished(ok);
}

EatTask::EatTask(const QString &address, const MinipcOptions &options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<EatTaskPrivate>(this, address, options))
{
}

EatTask::~EatTask() = default;

void EatTask::setCallback(const EatCallback &callback)
{
    d->callback = callback;
}

void EatTask::start()
{
    if (d->options.timeout.count() > 0)
        d->deadline.start(d->options.timeout);
    d->start();
}

MinipcResult EatTask::result() const
{
    return d->result;
}

bool EatTask::isFinished() const
{
    return d->finished;
}

} // namespace ipc
