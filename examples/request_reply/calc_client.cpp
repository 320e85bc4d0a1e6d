// Calculator client: asks calc_server a few questions, in the blocking style
// (call()) and chained with QFuture::then(), and checks every answer: the
// results, the error replies, a timeout, and that nothing but the server's
// ticks ever arrives as an ordinary message. Exits with 0 only when every
// check passed, so it doubles as a smoke test.
// Usage: calc_client [name]      (default name: calc)
#include "calc_protocol.h"

#include <ipc/client.h>

#include <QCborMap>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QMetaEnum>
#include <QTextStream>
#include <QTimer>

using namespace std::chrono_literals;

namespace {

QTextStream out(stdout);
int checks = 0;
int failures = 0;

void check(bool ok, const QString &what)
{
    ++checks;
    if (!ok)
        ++failures;
    out << (ok ? "ok      " : "FAILED  ") << what << Qt::endl;
}

QString errorName(ipc::Error error)
{
    return QString::fromLatin1(QMetaEnum::fromType<ipc::Error>().valueToKey(int(error)));
}

// A reply in one line: its data (CBOR shown as JSON), or why there is none.
QString describe(const ipc::Reply &reply)
{
    if (reply.error == ipc::Error::RemoteError)
        return QStringLiteral("RemoteError %1: %2").arg(reply.errorCode).arg(reply.errorString);
    if (!reply.isOk())
        return QStringLiteral("%1: %2").arg(errorName(reply.error), reply.errorString);
    if (reply.message.type == calc::OperationResult)
        return QString::fromUtf8(reply.message.toJson().toJson(QJsonDocument::Compact));
    return QString::fromUtf8(reply.message.data);
}

bool isResult(const ipc::Reply &reply, const QByteArray &expected)
{
    return reply.isOk() && reply.message.type == calc::Result && reply.message.data == expected;
}

bool isRemoteError(const ipc::Reply &reply, calc::Failure code)
{
    return reply.error == ipc::Error::RemoteError && reply.errorCode == code;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString name = app.arguments().value(1, QStringLiteral("calc"));

    ipc::ClientConfig config;
    config.timeout = 10s; // keep retrying while the server starts, then give up
    ipc::Client client(name, config);

    // Ordinary messages: the server's ticks, and never a reply.
    int ticks = 0;
    int others = 0;
    QObject::connect(&client, &ipc::Client::messageReceived, &client, [&](const ipc::Message &m) {
        if (m.type == calc::Tick)
            ++ticks;
        else
            ++others;
    });

    // 1. Blocking, for scripts: call() runs a local event loop until the
    //    reply comes. The request waits in the queue until connected.
    const ipc::Reply sub = client.call(calc::Expression, "sub 10 4", 15s);
    check(isResult(sub, "6"), "call     sub 10 4            -> " + describe(sub));
    if (!client.isConnected()) {
        QTextStream(stderr) << "no server: " << client.errorString() << Qt::endl;
        return 1;
    }

    // 2. Event-driven: each continuation runs in the client's thread (the
    //    context object), checks one reply and sends the next request;
    //    unwrap() turns the QFuture<QFuture<Reply>> it returns into the next
    //    link of the chain.
    client.request(calc::Expression, "add 2 3")
        .then(&client,
            [&](const ipc::Reply &r) {
                check(isResult(r, "5"), "request  add 2 3             -> " + describe(r));
                return client.request(calc::Expression, "div 7 2");
            })
        .unwrap()
        .then(&client,
            [&](const ipc::Reply &r) {
                check(isResult(r, "3.5"), "request  div 7 2             -> " + describe(r));
                // A typed payload: sent as CBOR, read back with toCbor().
                const QCborMap operation { { QStringLiteral("op"), QStringLiteral("mul") },
                    { QStringLiteral("a"), 1.5 }, { QStringLiteral("b"), 4 } };
                return client.request(calc::Operation, operation);
            })
        .unwrap()
        .then(&client,
            [&](const ipc::Reply &r) {
                const QCborValue result
                    = r.message.toCbor().toMap().value(QStringLiteral("result"));
                check(r.isOk() && r.message.type == calc::OperationResult && result.toDouble() == 6,
                    "request  {op:mul, a:1.5, b:4} -> " + describe(r));
                return client.request(calc::Expression, "div 1 0");
            })
        .unwrap()
        .then(&client,
            [&](const ipc::Reply &r) {
                check(isRemoteError(r, calc::DivisionByZero),
                    "request  div 1 0             -> " + describe(r));
                return client.request(calc::Expression, "pow 2 8");
            })
        .unwrap()
        .then(&client,
            [&](const ipc::Reply &r) {
                check(isRemoteError(r, calc::UnknownOperation),
                    "request  pow 2 8             -> " + describe(r));
                // The server answers after a second; wait 300 ms only.
                return client.request(calc::Expression, "slow 1000", 300ms);
            })
        .unwrap()
        .then(&client, [&](const ipc::Reply &r) {
            check(r.error == ipc::Error::Timeout, "request  slow 1000 (300 ms)  -> " + describe(r));
            // Let the late answer arrive: the client drops it (it matches no
            // open request), so messageReceived must not see it either.
            QTimer::singleShot(1500ms, &app, &QCoreApplication::quit);
        });
    app.exec();

    // 3. waitForMessage() returns ordinary messages only: here, a tick.
    const ipc::Message next = client.waitForMessage(3s);
    check(next.type == calc::Tick,
        "waitForMessage()             -> type " + QString::number(next.type) + " "
            + QString::fromUtf8(
                next.isNotice() ? next.data : next.toJson().toJson(QJsonDocument::Compact)));
    check(ticks > 0 && others == 0,
        QStringLiteral("messageReceived saw %1 tick(s) and %2 other message(s)")
            .arg(ticks)
            .arg(others));

    client.disconnectFromServer();
    client.waitForDisconnected(5s);
    out << (failures == 0 ? QStringLiteral("all %1 checks passed").arg(checks)
                          : QStringLiteral("%1 of %2 checks FAILED").arg(failures).arg(checks))
        << Qt::endl;
    return failures == 0 ? 0 : 1;
}
