#include "summary.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTextStream>

namespace monitor {

using ipc::telemetry::RequestOutcome;

namespace {

struct LiveConnection
{
    const ProcessState *process;
    const ConnectionState *connection;
};

// Open connections, by process and id.
QList<LiveConnection> liveConnections(const Traffic &traffic)
{
    QList<LiveConnection> live;
    for (const auto &[pid, process] : traffic.processes()) {
        for (const auto &[id, connection] : process.connections) {
            if (!connection.closed && !process.gone)
                live.append({&process, &connection});
        }
    }
    return live;
}

QString processLabel(const ProcessState &process)
{
    return QStringLiteral("%1[%2]").arg(process.name).arg(process.pid);
}

QString peerLabel(const ConnectionState &connection)
{
    if (!connection.peerProcess.isEmpty())
        return QStringLiteral("%1[%2]").arg(connection.peerProcess).arg(connection.peerPid);
    return connection.peerAddress;
}

// One word, as the telemetry says it: columns stay aligned.
QString securityWord(Security security)
{
    switch (security) {
    case Security::Plain: return QStringLiteral("plain");
    case Security::Weak: return QStringLiteral("weak");
    case Security::Encrypted: return QStringLiteral("encrypted");
    case Security::Authenticated: return QStringLiteral("authenticated");
    case Security::Unknown: break;
    }
    return QStringLiteral("handshake");
}

// A column's text with room for the space after it: a longer one keeps
// its end (a socket path's file name, a member's signature).
QString fit(const QString &text, int width)
{
    return text.size() < width ? text : QStringLiteral("...") + text.right(width - 4);
}

QString rate(double perSecond)
{
    return QString::number(perSecond, 'f', perSecond < 10 ? 1 : 0);
}

// Unconfirmed and queued messages; "-" when the reporter does not say.
QString backlogText(const DeliveryInfo &delivery)
{
    return delivery.known ? QString::number(delivery.backlog()) : QStringLiteral("-");
}

QString windowText(const DeliveryInfo &delivery)
{
    return delivery.known ? QStringLiteral("%1%").arg(qRound(delivery.windowFill() * 100)) : QStringLiteral("-");
}

} // namespace

QString summaryText(const Traffic &traffic, qint64 now)
{
    const QList<LiveConnection> live = liveConnections(traffic);
    QString text;
    QTextStream out(&text);
    out << "== " << QDateTime::fromMSecsSinceEpoch(now).toString(QStringLiteral("HH:mm:ss")) << "  "
        << traffic.processes().size() << " process(es), " << live.size() << " open connection(s), "
        << traffic.eventCount() << " event(s), dropped " << traffic.droppedSamples() << " sample(s) and "
        << traffic.droppedEvents() << " event(s)\n";
    if (!live.isEmpty()) {
        out << qSetFieldWidth(0) << "  " << Qt::left << qSetFieldWidth(28) << "process" << qSetFieldWidth(6) << "conn"
            << qSetFieldWidth(28) << "peer" << qSetFieldWidth(14) << "security" << Qt::right << qSetFieldWidth(9)
            << "in/s" << "out/s" << qSetFieldWidth(12) << "in" << "out" << qSetFieldWidth(9) << "backlog"
            << "window" << qSetFieldWidth(0) << "  delivery\n";
        for (const LiveConnection &entry : live) {
            out << "  " << Qt::left << qSetFieldWidth(28) << fit(processLabel(*entry.process), 28) << qSetFieldWidth(6)
                << entry.connection->id << qSetFieldWidth(28) << fit(peerLabel(*entry.connection), 28) << qSetFieldWidth(14)
                << securityWord(entry.connection->security) << Qt::right << qSetFieldWidth(9)
                << rate(entry.connection->receivedRate) << rate(entry.connection->sentRate) << qSetFieldWidth(12)
                << entry.connection->received.count << entry.connection->sent.count << qSetFieldWidth(9)
                << backlogText(entry.connection->delivery) << windowText(entry.connection->delivery) << qSetFieldWidth(0)
                << "  " << healthLabel(entry.connection->delivery.health(now)) << '\n';
        }
    }
    if (!traffic.types().empty()) {
        out << "  " << Qt::left << qSetFieldWidth(48) << "type" << Qt::right << qSetFieldWidth(9) << "msgs/s"
            << qSetFieldWidth(12) << "messages" << "bytes" << qSetFieldWidth(9) << "min" << "max" << qSetFieldWidth(0)
            << '\n';
        for (const auto &[key, stats] : traffic.types()) {
            out << "  " << Qt::left << qSetFieldWidth(48) << fit(key.label(), 48) << Qt::right << qSetFieldWidth(9)
                << rate(stats.rate) << qSetFieldWidth(12) << stats.count() << stats.bytes() << qSetFieldWidth(9)
                << stats.minSize << stats.maxSize << qSetFieldWidth(0) << '\n';
        }
    }
    const std::map<TypeKey, LatencyStats> latency = traffic.latencyByType();
    if (!latency.empty()) {
        out << "  " << Qt::left << qSetFieldWidth(48) << "requests to" << Qt::right << qSetFieldWidth(9) << "requests"
            << "errors" << "timeouts" << "lost" << qSetFieldWidth(11) << "p50" << "p90" << "p99" << "max"
            << qSetFieldWidth(0) << '\n';
        for (const auto &[key, stats] : latency) {
            out << "  " << Qt::left << qSetFieldWidth(48) << fit(key.label(), 48) << Qt::right << qSetFieldWidth(9)
                << stats.count() << stats.ended(RequestOutcome::ErrorReply) << stats.ended(RequestOutcome::Timeout)
                << stats.ended(RequestOutcome::ConnectionLost) + stats.ended(RequestOutcome::Refused)
                << qSetFieldWidth(11) << durationText(stats.percentile(0.5)) << durationText(stats.percentile(0.9))
                << durationText(stats.percentile(0.99)) << durationText(stats.maxMicros) << qSetFieldWidth(0) << '\n';
        }
    }
    out.flush();
    return text;
}

// Null when the reporter does not say (version 1).
QJsonValue deliveryJson(const DeliveryInfo &delivery, qint64 now)
{
    if (!delivery.known)
        return QJsonValue();
    return QJsonObject{{QStringLiteral("state"), healthLabel(delivery.health(now))},
                       {QStringLiteral("unconfirmed"), delivery.unconfirmed},
                       {QStringLiteral("unconfirmedBytes"), delivery.unconfirmedBytes},
                       {QStringLiteral("windowFill"), delivery.windowFill()},
                       {QStringLiteral("queued"), delivery.queued},
                       {QStringLiteral("queuedBytes"), delivery.queuedBytes},
                       {QStringLiteral("refused"), delivery.refused},
                       {QStringLiteral("backPressure"), delivery.backPressure},
                       {QStringLiteral("resumptions"), delivery.resumptions},
                       {QStringLiteral("resent"), delivery.resent},
                       {QStringLiteral("handedBack"), delivery.handedBack}};
}

QJsonObject summaryJson(const Traffic &traffic, qint64 now)
{
    QJsonArray connections;
    for (const LiveConnection &entry : liveConnections(traffic)) {
        const ConnectionState &connection = *entry.connection;
        connections.append(QJsonObject{
            {QStringLiteral("pid"), entry.process->pid},
            {QStringLiteral("process"), entry.process->name},
            {QStringLiteral("connection"), qint64(connection.id)},
            {QStringLiteral("peer"), peerLabel(connection)},
            {QStringLiteral("security"), securityWord(connection.security)},
            {QStringLiteral("receivedRate"), connection.receivedRate},
            {QStringLiteral("sentRate"), connection.sentRate},
            {QStringLiteral("received"), qint64(connection.received.count)},
            {QStringLiteral("sent"), qint64(connection.sent.count)},
            {QStringLiteral("delivery"), deliveryJson(connection.delivery, now)},
        });
    }
    QJsonArray types;
    for (const auto &[key, stats] : traffic.types()) {
        QJsonObject type{{QStringLiteral("type"), key.type},
                         {QStringLiteral("rate"), stats.rate},
                         {QStringLiteral("messages"), qint64(stats.count())},
                         {QStringLiteral("bytes"), qint64(stats.bytes())},
                         {QStringLiteral("minSize"), qint64(stats.minSize)},
                         {QStringLiteral("maxSize"), qint64(stats.maxSize)}};
        if (!key.name.isEmpty())
            type.insert(QStringLiteral("name"), key.name);
        types.append(type);
    }
    QJsonArray requests;
    for (const auto &[key, stats] : traffic.latencyByType()) {
        QJsonObject request{{QStringLiteral("type"), key.type},
                            {QStringLiteral("requests"), qint64(stats.count())},
                            {QStringLiteral("errors"), qint64(stats.ended(RequestOutcome::ErrorReply))},
                            {QStringLiteral("timeouts"), qint64(stats.ended(RequestOutcome::Timeout))},
                            {QStringLiteral("lost"), qint64(stats.ended(RequestOutcome::ConnectionLost)
                                                            + stats.ended(RequestOutcome::Refused))},
                            {QStringLiteral("p50Micros"), qint64(stats.percentile(0.5))},
                            {QStringLiteral("p90Micros"), qint64(stats.percentile(0.9))},
                            {QStringLiteral("p99Micros"), qint64(stats.percentile(0.99))},
                            {QStringLiteral("maxMicros"), qint64(stats.maxMicros)}};
        if (!key.name.isEmpty())
            request.insert(QStringLiteral("name"), key.name);
        requests.append(request);
    }
    return QJsonObject{{QStringLiteral("event"), QStringLiteral("Summary")},
                       {QStringLiteral("requests"), requests},
                       {QStringLiteral("time"), now},
                       {QStringLiteral("processes"), qint64(traffic.processes().size())},
                       {QStringLiteral("events"), qint64(traffic.eventCount())},
                       {QStringLiteral("droppedSamples"), qint64(traffic.droppedSamples())},
                       {QStringLiteral("droppedEvents"), qint64(traffic.droppedEvents())},
                       {QStringLiteral("connections"), connections},
                       {QStringLiteral("types"), types}};
}

} // namespace monitor
