#include "connection_details.h"

#include <QDateTime>

namespace monitor {

using ipc::telemetry::RequestOutcome;

namespace {

QString row(const QString &label, const QString &value)
{
    return QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(label.toHtmlEscaped(), value);
}

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString totals(const Totals &totals)
{
    return QStringLiteral("%1 message(s), %2 byte(s)").arg(totals.count).arg(totals.bytes);
}

// What it has sent and not yet seen confirmed, and what happened to its
// messages: from the Delivery events.
QString deliveryDetails(const DeliveryInfo &delivery, bool closed)
{
    QString html = QStringLiteral("<h4>delivery</h4>");
    if (!delivery.known)
        return html + QStringLiteral("<p>not reported (a version 1 reporter, or just connected)</p>");
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const DeliveryHealth health = closed ? DeliveryHealth::Unknown : delivery.health(now);
    html += QStringLiteral("<table cellspacing=\"4\">");
    if (health != DeliveryHealth::Unknown) {
        const QColor color = healthColor(health);
        html += row(QStringLiteral("now"), QStringLiteral("<span style=\"background:%1\">%2</span>: %3")
                                               .arg(color.isValid() ? color.name() : QStringLiteral("transparent"),
                                                    escaped(healthLabel(health)), escaped(delivery.explain(now))));
    }
    html += row(QStringLiteral("unconfirmed"),
                escaped(delivery.acknowledging
                            ? QStringLiteral("%1 message(s), %2; the window is %3% full (%4 messages, %5)")
                                  .arg(QString::number(delivery.unconfirmed), byteText(delivery.unconfirmedBytes),
                                       QString::number(qRound(delivery.windowFill() * 100)),
                                       QString::number(delivery.windowMessages), byteText(delivery.windowBytes))
                            : QStringLiteral("none counted: the peer does not acknowledge")));
    html += row(QStringLiteral("queued"), escaped(QStringLiteral("%1 message(s), %2; %3 in the socket")
                                                      .arg(QString::number(delivery.queued), byteText(delivery.queuedBytes),
                                                           byteText(delivery.socketBytes))));
    html += row(QStringLiteral("writes"), escaped(QStringLiteral("%1; %2 refused, back-pressure %3 time(s)")
                                                      .arg(delivery.writable ? QStringLiteral("accepted")
                                                                             : QStringLiteral("refused now"),
                                                           QString::number(delivery.refused),
                                                           QString::number(delivery.backPressure))));
    html += row(QStringLiteral("resumed"), escaped(QStringLiteral("%1 time(s), %2 message(s) re-sent")
                                                       .arg(QString::number(delivery.resumptions),
                                                            QString::number(delivery.resent))));
    html += row(QStringLiteral("handed back"),
                escaped(QStringLiteral("%1 message(s) undelivered").arg(delivery.handedBack)));
    return html + QStringLiteral("</table>");
}

} // namespace

QString connectionDetails(const Traffic &traffic, qint64 pid, quint64 id)
{
    const auto process = traffic.processes().find(pid);
    if (process == traffic.processes().end())
        return QString();
    const auto found = process->second.connections.find(id);
    if (found == process->second.connections.end())
        return QString();
    const ConnectionState &connection = found->second;
    // One arg() call with every value: a name holding "%1" stays as it is.
    QString html = QStringLiteral("<h3>connection %1 of %2 [%3]</h3><table cellspacing=\"4\">")
                       .arg(QString::number(id), escaped(process->second.name), QString::number(pid));
    const auto endpoint = process->second.endpoints.find(connection.endpoint);
    if (endpoint != process->second.endpoints.end()) {
        const EndpointState &e = endpoint->second;
        html += row(QStringLiteral("endpoint"), escaped(QStringLiteral("%1 %2 (%3, %4), %5")
                                                            .arg(e.role, e.address, e.transport, e.protocol, e.status)));
    }
    html += row(QStringLiteral("state"),
                escaped(connection.closed ? (connection.error.isEmpty() ? QStringLiteral("closed: %1").arg(connection.reason)
                                                                        : QStringLiteral("closed with %1: %2")
                                                                              .arg(connection.error, connection.reason))
                                          : connection.established ? QStringLiteral("connected")
                                                                   : QStringLiteral("in its handshake")));
    const QString peerName = connection.peerProcess.isEmpty()
        ? QStringLiteral("(not said)")
        : QStringLiteral("%1 [%2]").arg(connection.peerProcess).arg(connection.peerPid);
    html += row(QStringLiteral("peer"), escaped(peerName + QStringLiteral(", as its hello says")));
    html += row(QStringLiteral("peer address"), escaped(connection.peerAddress));
    html += row(QStringLiteral("peer credentials"),
                escaped(connection.peerUid >= 0 ? QStringLiteral("pid %1, uid %2, from the system")
                                                      .arg(connection.peerPid)
                                                      .arg(connection.peerUid)
                                                : QStringLiteral("none: the system does not vouch for this peer")));
    html += row(QStringLiteral("protocol"), escaped(connection.protocol));
    html += row(QStringLiteral("security"),
                QStringLiteral("<span style=\"color:%1\">%2</span>")
                    .arg(securityColor(connection.security).name(), escaped(securityLabel(connection.security))));
    html += row(QStringLiteral("encryption"), escaped(connection.encryption));
    html += row(QStringLiteral("handshake hash"),
                escaped(connection.handshakeHash.isEmpty() ? QStringLiteral("(none)") : connection.handshakeHash));
    html += row(QStringLiteral("received"), escaped(totals(connection.received)));
    html += row(QStringLiteral("sent"), escaped(totals(connection.sent)));
    html += row(QStringLiteral("now"), escaped(QStringLiteral("%1 in, %2 out per second")
                                                   .arg(connection.receivedRate, 0, 'f', 0)
                                                   .arg(connection.sentRate, 0, 'f', 0)));
    html += QStringLiteral("</table>");
    html += deliveryDetails(connection.delivery, connection.closed);

    const std::map<TypeKey, LatencyStats> requests = traffic.latencyByType(pid, id);
    if (!requests.empty())
        html += QStringLiteral("<h4>requests made on it</h4>");
    for (const auto &[type, stats] : requests) { // a line each: the pane is narrow
        html += QStringLiteral("<p><b>%1</b>: %2 request(s), %3 error(s), %4 timeout(s), %5 lost; p50 %6, p99 %7, "
                               "max %8</p>")
                    .arg(escaped(type.label()), QString::number(stats.count()),
                         QString::number(stats.ended(RequestOutcome::ErrorReply)),
                         QString::number(stats.ended(RequestOutcome::Timeout)),
                         QString::number(stats.ended(RequestOutcome::ConnectionLost) + stats.ended(RequestOutcome::Refused)),
                         durationText(stats.percentile(0.5)), durationText(stats.percentile(0.99)),
                         durationText(stats.maxMicros));
    }

    html += QStringLiteral("<h4>what went wrong</h4>");
    if (connection.incidents.empty())
        html += QStringLiteral("<p>nothing so far</p>");
    for (auto it = connection.incidents.rbegin(); it != connection.incidents.rend(); ++it) {
        const QString time = QDateTime::fromMSecsSinceEpoch(it->time).toString(QStringLiteral("HH:mm:ss.zzz"));
        const QString what = it->closed ? (it->error.isEmpty() ? QStringLiteral("closed") : QStringLiteral("closed with %1").arg(it->error))
                                        : QStringLiteral("write refused, %1").arg(it->error);
        html += QStringLiteral("<p>%1 %2: %3</p>").arg(time, escaped(what), escaped(it->reason));
    }
    return html;
}

} // namespace monitor
