#include "address.h"
#include "logging.h"
#include "minipc/line_reader.h"
#include "minipc/peers.h"
#include "minipc/run_later.h"

#include <ipc/client.h>
#include <ipc/minipc.h>

#include <QTcpSocket>
#include <QTimer>

namespace ipc {

class EatTaskPrivate
{
public:
    EatTaskPrivate(EatTask *q, const QString &address, const MinipcOptions &options)
        : q(q)
        , address(address)
        , options(options)
        , lines(options.maxMessageSize)
    {
        deadline.setParent(q); // moveToThread() takes it along
        deadline.setSingleShot(true);
        QObject::connect(&deadline, &QTimer::timeout, q, [this] {
            finish(false, QStringLiteral("timed out: no message within %1 ms").arg(this->options.timeout.count()));
        });
    }

    void startNative();
    void startLine();
    void onLineReadable();
    void finish(bool ok, const QString &error = QString(), const QByteArray &value = QByteArray());

    EatTask *q;
    QString address;
    MinipcOptions options;
    EatCallback callback;
    MinipcResult result;
    bool finished = false;
    QTimer deadline;

    std::unique_ptr<Client> client;      // native wire
    std::unique_ptr<ClientSidePeer> peer; // keeps messages for the callback
    std::unique_ptr<QTcpSocket> socket;  // line wire
    LineReader lines;
};

static QString connectFailure(const QString &reason)
{
    return reason.startsWith(QLatin1String("failed to connect"))
        ? reason
        : QStringLiteral("failed to connect: %1").arg(reason);
}

void EatTaskPrivate::startNative()
{
    ClientConfig config;
    config.encryptionRequired = options.encryption;
    config.preSharedKey = options.preSharedKey;
    config.maxMessageSize = options.maxMessageSize;
    config.timeout = options.connectTimeout;
    config.maxAttempts = options.connectTimeout.count() > 0 ? 0 : 1;
    client = std::make_unique<Client>(address, config);
    peer = std::make_unique<ClientSidePeer>(client.get(), 2 * qsizetype(options.maxMessageSize));
    QObject::connect(client.get(), &Client::statusChanged, q, [this](Status status) {
        if (status == Status::Error || status == Status::Timeout)
            finish(false, connectFailure(client->errorString()));
    });
    QObject::connect(client.get(), &Client::connected, q, [this] {
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

void EatTaskPrivate::startLine()
{
    const Address parsed = Address::parse(address);
    if (parsed.kind != Address::Tcp) {
        finish(false, QStringLiteral("failed to connect: the line wire needs a tcp:// address%1")
                          .arg(parsed.error.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(parsed.error)));
        return;
    }
    socket = std::make_unique<QTcpSocket>();
    QObject::connect(socket.get(), &QTcpSocket::errorOccurred, q, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError)
            return; // disconnected() decides
        if (e == QAbstractSocket::ConnectionRefusedError)
            finish(false, QStringLiteral("failed to connect: connection refused"));
        else
            finish(false, connectFailure(socket->errorString()));
    });
    QObject::connect(socket.get(), &QTcpSocket::connected, q, [this] {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (!callback)
            return;
        runLater(q, [this] {
            LinePeer peer(socket.get(), options.maxMessageSize);
            finish(true, QString(), callback(peer));
        });
    });
    QObject::connect(socket.get(), &QTcpSocket::readyRead, q, [this] {
        if (!callback)
            onLineReadable();
    });
    QObject::connect(socket.get(), &QTcpSocket::disconnected, q, [this] {
        if (callback)
            return;
        onLineReadable();
        finish(false, QStringLiteral("the server closed the connection before a full line"));
    });
    socket->connectToHost(parsed.host, parsed.port);
}

void EatTaskPrivate::onLineReadable()
{
    lines.append(socket->readAll());
    QByteArray line;
    switch (lines.next(&line)) {
    case LineReader::Result::Line: finish(true, QString(), line); break;
    case LineReader::Result::Error: finish(false, lines.errorString()); break;
    case LineReader::Result::NeedMore: break;
    }
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
    if (socket) {
        socket->disconnect(q);
        socket->abort();
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
    if (d->options.wire == Wire::Line)
        d->startLine();
    else
        d->startNative();
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
