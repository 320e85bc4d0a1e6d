#include "delivery_state.h"

#include <QCoreApplication>

#include <algorithm>

namespace monitor {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("monitor::DeliveryInfo", text);
}

// A reporter sends no negative number; a broken one is not believed.
qint64 count(const QCborValue &value)
{
    return qMax<qint64>(0, value.toInteger());
}

// Whether the backlog grew over the last GrowingSeconds seconds without
// falling back on the way: acknowledgements arrive in batches, so a
// connection that backs up still dips a little between two seconds.
bool growing(const std::deque<DeliveryPoint> &history)
{
    const std::size_t span = DeliveryInfo::GrowingSeconds;
    if (history.size() <= span)
        return false;
    const DeliveryPoint &before = history[history.size() - 1 - span];
    if (history.back().backlog <= before.backlog)
        return false;
    for (std::size_t i = history.size() - span; i < history.size(); ++i) {
        if (history[i].backlog < before.backlog)
            return false;
    }
    return true;
}

} // namespace

bool DeliveryInfo::apply(const QCborArray &row, qint64 now)
{
    if (row.size() < 15)
        return false;
    const bool wasKnown = known;
    const qint64 resumedBefore = resumptions;
    const bool wasResumed = resumedHere;
    unconfirmed = count(row.at(1));
    unconfirmedBytes = count(row.at(2));
    windowMessages = count(row.at(3));
    windowBytes = count(row.at(4));
    queued = count(row.at(5));
    queuedBytes = count(row.at(6));
    socketBytes = count(row.at(7));
    refused = count(row.at(8));
    backPressure = count(row.at(9));
    resumptions = count(row.at(10));
    resent = count(row.at(11));
    handedBack = count(row.at(12));
    writable = row.at(13).toBool(true);
    acknowledging = row.at(14).toBool(false);
    resumedHere = row.size() > 15 && row.at(15).toBool(false);
    // Seen resuming: this connection is a resumption, or its peer resumed
    // again while the monitor watched.
    if ((resumedHere && !wasResumed) || (wasKnown && resumptions > resumedBefore))
        resumedAt = now;
    known = true;
    return true;
}

void DeliveryInfo::tick()
{
    if (!known)
        return;
    history.push_back(DeliveryPoint { backlog(), backlogBytes(), windowFill() });
    while (history.size() > HistorySeconds)
        history.pop_front();
}

double DeliveryInfo::windowFill() const
{
    const double byCount = windowMessages > 0 ? double(unconfirmed) / double(windowMessages) : 0;
    const double byBytes = windowBytes > 0 ? double(unconfirmedBytes) / double(windowBytes) : 0;
    return std::clamp(qMax(byCount, byBytes), 0.0, 1.0);
}

DeliveryHealth DeliveryInfo::health(qint64 now) const
{
    if (!known)
        return DeliveryHealth::Unknown;
    if (!writable)
        return DeliveryHealth::QueueFull;
    if (windowFill() >= 0.9 || (backlog() > 0 && growing(history)))
        return DeliveryHealth::BackingUp;
    if (resumedAt > 0 && now - resumedAt < ResumingMillis)
        return DeliveryHealth::Resuming;
    return DeliveryHealth::Fine;
}

QString DeliveryInfo::explain(qint64 now) const
{
    switch (health(now)) {
    case DeliveryHealth::Unknown:
        return QString();
    case DeliveryHealth::QueueFull:
        return tr("queue full, writes not accepted: %1 message(s) wait unconfirmed and %2 queued "
                  "(%3 refused so far)")
            .arg(unconfirmed)
            .arg(queued)
            .arg(refused);
    case DeliveryHealth::BackingUp:
        if (windowFill() >= 0.9)
            return tr("send window %1% full: %2 message(s), %3 unconfirmed")
                .arg(qRound(windowFill() * 100))
                .arg(unconfirmed)
                .arg(byteText(unconfirmedBytes));
        return tr("backlog grew from %1 to %2 message(s) in %3 s")
            .arg(history[history.size() - 1 - GrowingSeconds].backlog)
            .arg(backlog())
            .arg(GrowingSeconds);
    case DeliveryHealth::Resuming:
        return tr("resumed %1 time(s), %2 message(s) re-sent").arg(resumptions).arg(resent);
    case DeliveryHealth::Fine:
        return tr("%1 unconfirmed, %2 queued").arg(unconfirmed).arg(queued);
    }
    return QString();
}

QString healthLabel(DeliveryHealth health)
{
    switch (health) {
    case DeliveryHealth::Unknown:
        return QString();
    case DeliveryHealth::Fine:
        return tr("flowing");
    case DeliveryHealth::BackingUp:
        return tr("backing up");
    case DeliveryHealth::QueueFull:
        return tr("queue full");
    case DeliveryHealth::Resuming:
        return tr("resumed");
    }
    return QString();
}

QColor healthColor(DeliveryHealth health)
{
    switch (health) {
    case DeliveryHealth::BackingUp:
        return QColor(255, 224, 160); // amber
    case DeliveryHealth::QueueFull:
        return QColor(255, 190, 180); // red
    case DeliveryHealth::Resuming:
        return QColor(200, 224, 255); // blue
    case DeliveryHealth::Unknown:
    case DeliveryHealth::Fine:
        break;
    }
    return QColor();
}

QString byteText(qint64 bytes)
{
    const double value = double(bytes);
    if (value >= 1 << 20)
        return QStringLiteral("%1 MiB").arg(value / (1 << 20), 0, 'f', 1);
    if (value >= 1024)
        return QStringLiteral("%1 KiB").arg(value / 1024, 0, 'f', 1);
    return QStringLiteral("%1 B").arg(bytes);
}

} // namespace monitor
