#include "timeline.h"

#include "models.h"

#include <QDateTime>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>

#include <cmath>
#include <map>

namespace monitor {

using ipc::telemetry::Direction;

namespace {

constexpr int Header = 28; // the lanes' names
constexpr int Ruler = 92;  // the times, on the left
constexpr int RequestKind = 7;
constexpr int ReplyKind = 8;
constexpr int ErrorReplyKind = 9;
constexpr int ObjectKind = 11;

QColor colourOf(TimelineArrow::Kind kind)
{
    switch (kind) {
    case TimelineArrow::Request: return QColor(0xef, 0x6c, 0x00);
    case TimelineArrow::Answer: return QColor(0x2e, 0x7d, 0x32);
    case TimelineArrow::ErrorAnswer: return QColor(0xc6, 0x28, 0x28);
    case TimelineArrow::Message: break;
    }
    return QColor(0x54, 0x6e, 0x7a);
}

} // namespace

TimelineData buildTimeline(const MessageLog &log)
{
    const auto tr = [](const char *text) { return TimelineView::tr(text); };
    TimelineData data;
    std::map<qint64, int> laneOf;
    const auto lane = [&](qint64 pid, const QString &name) {
        const auto [it, added] = laneOf.try_emplace(pid, int(data.lanes.size()));
        if (added) {
            data.lanes.append(pid);
            data.laneNames.append(name);
        }
        return it->second;
    };
    // Who reports: their own samples draw what they send.
    std::map<qint64, QString> reporting;
    for (int row = 0; row < log.rowCount(); ++row)
        reporting.try_emplace(log.at(row).pid, QStringLiteral("%1 [%2]").arg(log.at(row).process).arg(log.at(row).pid));
    for (const auto &[pid, name] : reporting)
        lane(pid, name);
    // Requests by who sent them, where and which id: the answer's row comes later.
    std::map<std::tuple<qint64, quint64, quint64>, std::size_t> openRequests;
    for (int row = 0; row < log.rowCount(); ++row) {
        const LoggedMessage &m = log.at(row);
        const bool sent = m.direction == Direction::Sent;
        const bool answer = m.correlationKind == ReplyKind || m.correlationKind == ErrorReplyKind;
        // Between two reporting processes a message is drawn once: from the
        // sender's sample, but an answer from the requester's, which meets
        // its request there.
        if (reporting.count(m.peerPid) != 0 && (sent ? answer : !answer))
            continue;
        const int self = lane(m.pid, reporting.at(m.pid));
        const int other = m.peerPid < 0 ? lane(-1, tr("not reporting"))
                                        : lane(m.peerPid, m.peer.isEmpty() ? QStringLiteral("pid %1").arg(m.peerPid) : m.peer);
        TimelineArrow arrow;
        arrow.time = m.time;
        arrow.from = sent ? self : other;
        arrow.to = sent ? other : self;
        arrow.logRow = row;
        arrow.label = m.key().label();
        const bool request = m.correlationKind == RequestKind || (m.correlationKind == ObjectKind && m.correlationId != 0);
        const auto key = std::make_tuple(m.pid, m.connection, m.correlationId);
        if (sent && request) {
            arrow.kind = TimelineArrow::Request;
            openRequests[key] = data.arrows.size();
        } else if (!sent && answer) {
            arrow.kind = m.correlationKind == ErrorReplyKind ? TimelineArrow::ErrorAnswer : TimelineArrow::Answer;
            const auto open = openRequests.find(key);
            if (open != openRequests.end()) {
                data.pairs.push_back({self, data.arrows[open->second].time, m.time, arrow.kind == TimelineArrow::ErrorAnswer});
                openRequests.erase(open);
            }
        }
        data.arrows.push_back(arrow);
    }
    std::stable_sort(data.arrows.begin(), data.arrows.end(),
                     [](const TimelineArrow &a, const TimelineArrow &b) { return a.time < b.time; });
    if (!data.arrows.empty()) {
        data.first = data.arrows.front().time;
        data.last = data.arrows.back().time;
    }
    return data;
}

TimelineView::TimelineView(const MessageLog *log, QWidget *parent)
    : QAbstractScrollArea(parent)
    , m_log(log)
{
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    viewport()->setBackgroundRole(QPalette::Base);
    viewport()->setAutoFillBackground(true);
}

void TimelineView::refresh()
{
    // Rebuilt only when the log changed.
    const qint64 last = m_log->rowCount() > 0 ? m_log->at(m_log->rowCount() - 1).time : -1;
    if (m_log->rowCount() == m_logRows && last == m_logLast)
        return;
    m_logRows = m_log->rowCount();
    m_logLast = last;
    QScrollBar *bar = verticalScrollBar();
    const bool following = bar->value() >= bar->maximum(); // at the newest: stay there
    m_data = buildTimeline(*m_log);
    updateScrollBar();
    if (following)
        bar->setValue(bar->maximum());
    viewport()->update();
}

void TimelineView::setMsPerPixel(double ms)
{
    // Keep the time in the middle of the view where it is.
    const double middle = verticalScrollBar()->value() + viewport()->height() / 2.0;
    const double middleTime = middle * m_msPerPixel;
    m_msPerPixel = qBound(0.01, ms, 10000.0);
    updateScrollBar();
    verticalScrollBar()->setValue(int(middleTime / m_msPerPixel - viewport()->height() / 2.0));
    viewport()->update();
}

void TimelineView::updateScrollBar()
{
    const double height = double(m_data.last - m_data.first) / m_msPerPixel + Header + 40;
    QScrollBar *bar = verticalScrollBar();
    bar->setRange(0, qMax(0, int(height) - viewport()->height()));
    bar->setPageStep(viewport()->height());
    bar->setSingleStep(20);
}

double TimelineView::laneX(int lane) const
{
    const double width = qMax(140.0, double(viewport()->width() - Ruler) / qMax(1, int(m_data.lanes.size())));
    return Ruler + width * (lane + 0.5);
}

double TimelineView::timeY(qint64 time) const
{
    return Header + 20 + double(time - m_data.first) / m_msPerPixel - verticalScrollBar()->value();
}

QPointF TimelineView::arrowMiddle(std::size_t arrow) const
{
    const TimelineArrow &a = m_data.arrows.at(arrow);
    return {(laneX(a.from) + laneX(a.to)) / 2, timeY(a.time)};
}

void TimelineView::paintEvent(QPaintEvent *)
{
    QPainter painter(viewport());
    painter.setRenderHint(QPainter::Antialiasing);
    const QPalette palette = viewport()->palette();
    if (m_data.arrows.empty()) {
        painter.drawText(viewport()->rect(), Qt::AlignCenter, tr("No sampled messages yet"));
        return;
    }
    // Lanes, with their names on top.
    for (int lane = 0; lane < m_data.lanes.size(); ++lane) {
        painter.setPen(QPen(palette.color(QPalette::Mid), 1, Qt::DashLine));
        painter.drawLine(QPointF(laneX(lane), Header), QPointF(laneX(lane), viewport()->height()));
    }
    // Requests joined with their answers, and how long they took.
    const double top = -20;
    const double bottom = viewport()->height() + 20;
    for (const TimelinePair &pair : m_data.pairs) {
        const double y1 = timeY(pair.sent);
        const double y2 = timeY(pair.answered);
        if (y2 < top || y1 > bottom)
            continue;
        const double x = laneX(pair.lane) - 10;
        painter.setPen(QPen(pair.error ? colourOf(TimelineArrow::ErrorAnswer) : colourOf(TimelineArrow::Answer), 3));
        painter.drawLine(QPointF(x, y1), QPointF(x, y2));
        painter.setPen(palette.color(QPalette::Text));
        painter.drawText(QRectF(x - 90, (y1 + y2) / 2 - 8, 84, 16), Qt::AlignRight | Qt::AlignVCenter,
                         durationText(quint64(pair.answered - pair.sent) * 1000));
    }
    // The arrows in view; a label where there is room for one.
    double lastLabel = -100;
    double lastTick = -100;
    for (const TimelineArrow &arrow : m_data.arrows) {
        const double y = timeY(arrow.time);
        if (y < top || y > bottom)
            continue;
        const double x1 = laneX(arrow.from);
        const double x2 = laneX(arrow.to);
        const QColor colour = colourOf(arrow.kind);
        painter.setPen(QPen(colour, arrow.kind == TimelineArrow::Message ? 1 : 2));
        painter.drawLine(QPointF(x1, y), QPointF(x2, y));
        const double head = x2 > x1 ? -7 : 7;
        painter.setBrush(colour);
        painter.drawPolygon(QPolygonF{QPointF(x2, y), QPointF(x2 + head, y - 4), QPointF(x2 + head, y + 4)});
        if (y - lastLabel >= 14) {
            painter.setPen(palette.color(QPalette::Text));
            painter.drawText(QRectF(qMin(x1, x2), y - 15, qAbs(x2 - x1), 14), Qt::AlignCenter, arrow.label);
            lastLabel = y;
        }
        if (y - lastTick >= 60) {
            painter.setPen(palette.color(QPalette::Mid));
            painter.drawText(QRectF(2, y - 8, Ruler - 8, 16), Qt::AlignLeft | Qt::AlignVCenter,
                             QDateTime::fromMSecsSinceEpoch(arrow.time).toString(QStringLiteral("HH:mm:ss.zzz")));
            lastTick = y;
        }
    }
    // The names last, over what scrolled under them.
    painter.fillRect(QRectF(0, 0, viewport()->width(), Header), palette.color(QPalette::Window));
    painter.setPen(palette.color(QPalette::Text));
    for (int lane = 0; lane < m_data.lanes.size(); ++lane) {
        painter.drawText(QRectF(laneX(lane) - 100, 4, 200, Header - 8), Qt::AlignCenter,
                         painter.fontMetrics().elidedText(m_data.laneNames.at(lane), Qt::ElideMiddle, 196));
    }
    painter.drawText(QRectF(4, 4, Ruler - 8, Header - 8), Qt::AlignLeft | Qt::AlignVCenter,
                     tr("%1 ms/px").arg(m_msPerPixel, 0, 'g', 3));
}

void TimelineView::resizeEvent(QResizeEvent *event)
{
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBar();
}

void TimelineView::wheelEvent(QWheelEvent *event)
{
    if (event->modifiers() & Qt::ControlModifier) {
        setMsPerPixel(m_msPerPixel * (event->angleDelta().y() > 0 ? 0.8 : 1.25));
        event->accept();
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
}

void TimelineView::mousePressEvent(QMouseEvent *event)
{
    // The arrow nearest the click, within a few pixels of its line.
    const QPointF at = event->position();
    double best = 6;
    int row = -1;
    for (const TimelineArrow &arrow : m_data.arrows) {
        const double y = timeY(arrow.time);
        const double left = qMin(laneX(arrow.from), laneX(arrow.to));
        const double right = qMax(laneX(arrow.from), laneX(arrow.to));
        if (at.x() < left - 4 || at.x() > right + 4 || std::abs(y - at.y()) >= best)
            continue;
        best = std::abs(y - at.y());
        row = arrow.logRow;
    }
    if (row >= 0)
        Q_EMIT messageClicked(row);
}

void TimelineView::scrollContentsBy(int, int)
{
    viewport()->update();
}

} // namespace monitor
