#include "rate_chart.h"

#include <QPainter>

namespace monitor {

namespace {

QColor colourFor(int index)
{
    return QColor::fromHsv((index * 67) % 360, 200, 200);
}

QString labelOf(const TypeKey &type)
{
    return type.name.isEmpty() ? RateChart::tr("type %1").arg(type.type) : type.name;
}

} // namespace

RateChart::RateChart(QWidget *parent)
    : QWidget(parent)
{
    setMinimumSize(240, 140);
}

void RateChart::refresh(const Traffic &traffic)
{
    m_history.clear();
    for (const auto &[type, stats] : traffic.types())
        m_history[type] = stats.history;
    update();
}

void RateChart::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    // The legend is as wide as its longest name, up to half the chart.
    int legend = 80;
    for (const auto &entry : m_history)
        legend = qMax(legend, painter.fontMetrics().horizontalAdvance(labelOf(entry.first)));
    legend = qMin(legend + 40, width() / 2);
    const QRectF plot = rect().adjusted(56, 12, -legend, -28);
    double peak = 1;
    for (const auto &entry : m_history) {
        for (double rate : entry.second)
            peak = qMax(peak, rate);
    }
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawRect(plot);
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRectF(0, plot.top() - 6, 52, 14), Qt::AlignRight, QString::number(peak, 'f', 0));
    painter.drawText(QRectF(0, plot.bottom() - 8, 52, 14), Qt::AlignRight, QStringLiteral("0"));
    painter.drawText(QRectF(plot.left(), plot.bottom() + 4, plot.width(), 16), Qt::AlignCenter,
                     tr("messages per second, last %1 s").arg(Traffic::HistorySeconds));
    int index = 0;
    for (const auto &[type, history] : m_history) {
        const QColor colour = colourFor(index);
        if (history.size() > 1) {
            QPolygonF line;
            const double step = plot.width() / double(Traffic::HistorySeconds - 1);
            const double start = plot.right() - step * double(history.size() - 1);
            for (std::size_t i = 0; i < history.size(); ++i)
                line << QPointF(start + step * double(i), plot.bottom() - plot.height() * history[i] / peak);
            painter.setPen(QPen(colour, 2));
            painter.drawPolyline(line);
        }
        painter.setPen(QPen(colour, 3));
        const double y = plot.top() + 8 + 16 * index;
        painter.drawLine(QPointF(plot.right() + 8, y), QPointF(plot.right() + 24, y));
        painter.setPen(palette().color(QPalette::Text));
        painter.drawText(QPointF(plot.right() + 30, y + 5),
                         painter.fontMetrics().elidedText(labelOf(type), Qt::ElideMiddle, width() - int(plot.right()) - 32));
        ++index;
    }
}

} // namespace monitor
