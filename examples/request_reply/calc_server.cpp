// Calculator server: answers requests with reply() or replyError(), and
// broadcasts a tick every second meanwhile, so that its clients see
// ordinary messages and replies side by side.
// Usage: calc_server [name]      (default name: calc)
//
// Requests it understands (calc_protocol.h):
//   Expression, text "add 2 3" (add, sub, mul, div)  -> Result, text "5"
//   Expression, text "slow 1000"                      -> Result "done", after 1000 ms
//   Operation, CBOR map {op, a, b}                    -> OperationResult, CBOR map {result}
// Division by zero, an unknown operation or input it cannot read get an
// error reply: replyError(code, text).
#include "calc_protocol.h"

#include <ipc/server.h>

#include <QCborMap>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

using namespace std::chrono_literals;

namespace {

// The outcome of one calculation: a value, or an error code and its text.
struct Outcome
{
    double value = 0;
    qint32 code = 0; // 0: value holds the result
    QString text; // why, when code is not 0
};

Outcome result(double value)
{
    return { value, 0, QString() };
}

Outcome failure(qint32 code, const QString &text)
{
    return { 0, code, text };
}

Outcome compute(const QString &op, double a, double b)
{
    if (op == QLatin1String("add"))
        return result(a + b);
    if (op == QLatin1String("sub"))
        return result(a - b);
    if (op == QLatin1String("mul"))
        return result(a * b);
    if (op == QLatin1String("div")) {
        if (b == 0)
            return failure(calc::DivisionByZero, QStringLiteral("division by zero"));
        return result(a / b);
    }
    return failure(calc::UnknownOperation, QStringLiteral("unknown operation \"%1\"").arg(op));
}

// "add 2 3": the operation and its two numbers.
Outcome computeText(const QByteArray &text)
{
    const QStringList words = QString::fromUtf8(text).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    bool okA = false;
    bool okB = false;
    const double a = words.value(1).toDouble(&okA);
    const double b = words.value(2).toDouble(&okB);
    if (words.size() != 3 || !okA || !okB)
        return failure(calc::BadInput,
            QStringLiteral("expected \"op a b\", got \"%1\"").arg(QString::fromUtf8(text)));
    return compute(words.at(0), a, b);
}

// {op: "mul", a: 1.5, b: 4}: the same, as a CBOR map. toCbor() says what is
// wrong with data that is not CBOR at all; the fields are checked here.
Outcome computeMap(const ipc::Message &request)
{
    QString error;
    const QCborValue value = request.toCbor(&error);
    if (!error.isEmpty())
        return failure(calc::BadInput, error);
    const QCborMap map = value.toMap();
    const QCborValue a = map.value(QStringLiteral("a"));
    const QCborValue b = map.value(QStringLiteral("b"));
    const auto isNumber = [](const QCborValue &v) { return v.isDouble() || v.isInteger(); };
    if (!value.isMap() || !isNumber(a) || !isNumber(b))
        return failure(
            calc::BadInput, QStringLiteral("expected a map {op, a, b} with numbers a and b"));
    return compute(map.value(QStringLiteral("op")).toString(), a.toDouble(), b.toDouble());
}

// What was asked, for the log: CBOR shown as JSON, or as hex when it is
// not (computeMap() answers that with an error reply).
QString describe(const ipc::Message &request)
{
    if (request.type != calc::Operation)
        return QString::fromUtf8(request.data);
    const QJsonDocument json = request.toJson();
    if (json.isNull())
        return QStringLiteral("<%1>").arg(QString::fromLatin1(request.data.toHex()));
    return QString::fromUtf8(json.toJson(QJsonDocument::Compact));
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString name = app.arguments().value(1, QStringLiteral("calc"));

    ipc::Server server(name);
    QTextStream out(stdout);

    QObject::connect(&server, &ipc::Server::clientConnected, &server,
        [&](quint64 id) { out << "client " << id << " connected" << Qt::endl; });
    QObject::connect(&server, &ipc::Server::clientDisconnected, &server,
        [&](quint64 id) { out << "client " << id << " disconnected" << Qt::endl; });

    QObject::connect(&server, &ipc::Server::messageReceived, &server, [&](const ipc::Message &m) {
        // A plain write() arrives here too; only a request waits for an answer.
        if (!m.isRequest()) {
            out << "client " << m.clientId << " sent type " << m.type << " (not a request, ignored)"
                << Qt::endl;
            return;
        }
        const QString asked = describe(m);
        out << "client " << m.clientId << ": " << asked;

        if (m.type == calc::Expression && asked.startsWith(QLatin1String("slow"))) {
            // Answer later, from a timer: the Message is all reply() needs,
            // so it can be kept and answered whenever (or from another thread).
            const int delay = asked.mid(4).trimmed().toInt();
            out << " -> answering in " << delay << " ms" << Qt::endl;
            QTimer::singleShot(delay, &server, [&server, &out, m] {
                // The client may have stopped waiting: then it drops the reply.
                server.reply(m, calc::Result, "done");
                out << "client " << m.clientId << ": answered \"" << m.data << "\", late"
                    << Qt::endl;
            });
            return;
        }

        Outcome outcome;
        if (m.type == calc::Expression)
            outcome = computeText(m.data);
        else if (m.type == calc::Operation)
            outcome = computeMap(m);
        else
            outcome = failure(
                calc::UnknownOperation, QStringLiteral("unknown request type %1").arg(m.type));

        if (outcome.code != 0) {
            // The client's Reply gets Error::RemoteError with this code and text.
            server.replyError(m, outcome.code, outcome.text);
            out << " -> error " << outcome.code << ": " << outcome.text << Qt::endl;
        } else if (m.type == calc::Operation) {
            // A typed reply: sent as CBOR, read with Message::toCbor().
            server.reply(
                m, calc::OperationResult, QCborMap { { QStringLiteral("result"), outcome.value } });
            out << " -> {\"result\":" << outcome.value << "}" << Qt::endl;
        } else {
            server.reply(m, calc::Result, QByteArray::number(outcome.value));
            out << " -> " << outcome.value << Qt::endl;
        }
    });

    // Ordinary messages, interleaved with the replies on the same connection.
    QTimer ticker;
    qint64 ticks = 0;
    QObject::connect(&ticker, &QTimer::timeout, &server, [&] {
        server.broadcastCbor(calc::Tick, QCborMap { { QStringLiteral("tick"), ++ticks } });
    });
    ticker.start(1s);

    if (!server.listen()) {
        QTextStream(stderr) << server.errorString() << Qt::endl;
        return 1;
    }
    out << "Listening on " << server.listeningAddress() << Qt::endl;
    return app.exec();
}
