// The Timeline tab: a sequence chart of the sampled messages between
// processes (as Bustle draws D-Bus traffic). A column per process, time
// downwards, an arrow per message from its sender to its receiver; a
// request and its answer are joined by a bracket on the requester's column
// that says how long the answer took. The wheel scrolls, Ctrl+wheel zooms,
// and clicking an arrow shows its message in the log.
#pragma once

#include "traffic.h"

#include <QAbstractScrollArea>

namespace monitor {

class MessageLog;

struct TimelineArrow
{
    qint64 time = 0;
    int from = 0; // lane indexes
    int to = 0;
    int logRow = 0;
    QString label;
    enum Kind { Message, Request, Answer, ErrorAnswer } kind = Message;
};

struct TimelinePair
{
    int lane = 0; // the requester's
    qint64 sent = 0;
    qint64 answered = 0;
    bool error = false;
};

struct TimelineData
{
    QList<qint64> lanes;      // pids, in the order first seen
    QStringList laneNames;    // "name [pid]"
    std::vector<TimelineArrow> arrows; // in time order
    std::vector<TimelinePair> pairs;
    qint64 first = 0;
    qint64 last = 0;
};

// Each message once: as its sender sampled it, or as its receiver did when
// the sender does not report. Requests meet their answers by connection and id.
TimelineData buildTimeline(const MessageLog &log);

class TimelineView : public QAbstractScrollArea
{
    Q_OBJECT

public:
    explicit TimelineView(const MessageLog *log, QWidget *parent = nullptr);
    void refresh();
    const TimelineData &data() const { return m_data; }
    double msPerPixel() const { return m_msPerPixel; }
    void setMsPerPixel(double ms);
    // Where an arrow is drawn, in the viewport's coordinates (for tests).
    QPointF arrowMiddle(std::size_t arrow) const;

Q_SIGNALS:
    // The log row of the message whose arrow was clicked.
    void messageClicked(int logRow);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    double laneX(int lane) const;
    double timeY(qint64 time) const;
    void updateScrollBar();

    const MessageLog *m_log;
    TimelineData m_data;
    double m_msPerPixel = 2.0;
    int m_logRows = -1;
    qint64 m_logLast = -1;
};

} // namespace monitor
