// A connection's delivery state as its reporter last told it (Delivery
// events, docs/TELEMETRY.md), its backlog over the last minute, and what the
// views make of it: fine, backing up, queue full, or resumed.
#pragma once

#include <QCborArray>
#include <QColor>
#include <QString>

#include <deque>

namespace monitor {

// One second of a connection's history.
struct DeliveryPoint
{
    qint64 backlog = 0; // unconfirmed and queued messages
    qint64 backlogBytes = 0;
    double windowFill = 0; // 0..1
};

enum class DeliveryHealth {
    Unknown, // no Delivery event yet (a version 1 reporter, or just connected)
    Fine,
    BackingUp, // the backlog grew over the last seconds, or the window is nearly full
    QueueFull, // writes are not accepted now: the queue is full
    Resuming, // picked up an earlier connection's messages within the last ResumingMillis
};

struct DeliveryInfo
{
    static constexpr std::size_t HistorySeconds = 60;
    // How long a resumption keeps a connection highlighted.
    static constexpr qint64 ResumingMillis = 30000;
    // Seconds over which a backlog that grew is "backing up".
    static constexpr int GrowingSeconds = 3;

    bool known = false;
    qint64 unconfirmed = 0;
    qint64 unconfirmedBytes = 0;
    qint64 windowMessages = 0;
    qint64 windowBytes = 0;
    qint64 queued = 0;
    qint64 queuedBytes = 0;
    qint64 socketBytes = 0;
    qint64 refused = 0;
    qint64 backPressure = 0;
    qint64 resumptions = 0;
    qint64 resent = 0;
    qint64 handedBack = 0;
    bool writable = true;
    bool acknowledging = false;
    bool resumedHere = false; // this connection picked up where an earlier one left off
    qint64 resumedAt = 0;     // when the monitor saw it resume, ms since the epoch
    std::deque<DeliveryPoint> history; // a point per second, oldest first

    // Takes a Delivery row ([connection, ...], already matched to this
    // connection); false when it is too short to be one. `now` dates a
    // resumption.
    bool apply(const QCborArray &row, qint64 now);
    // Once a second: the current backlog joins the history.
    void tick();

    qint64 backlog() const { return unconfirmed + queued; }
    qint64 backlogBytes() const { return unconfirmedBytes + queuedBytes; }
    // The fuller of the window's two limits, 0..1.
    double windowFill() const;
    DeliveryHealth health(qint64 now) const;
    // Why, in words, for a tooltip ("backlog grew from 12 to 48 in 3 s").
    QString explain(qint64 now) const;
};

QString healthLabel(DeliveryHealth health);
// The background the tree gives a connection in this state (invalid: none).
QColor healthColor(DeliveryHealth health);
QString byteText(qint64 bytes);

} // namespace monitor
