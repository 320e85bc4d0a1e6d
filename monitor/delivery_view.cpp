#include "delivery_view.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QPainter>
#include <QPainterPath>
#include <QSortFilterProxyModel>
#include <QTableView>

#include <algorithm>

namespace monitor {

namespace {

// Worst first when sorted by state.
int severity(DeliveryHealth health)
{
    switch (health) {
    case DeliveryHealth::QueueFull:
        return 4;
    case DeliveryHealth::BackingUp:
        return 3;
    case DeliveryHealth::Resuming:
        return 2;
    case DeliveryHealth::Fine:
        return 1;
    case DeliveryHealth::Unknown:
        break;
    }
    return 0;
}

QString peerOf(const ConnectionState &connection)
{
    return connection.peerProcess.isEmpty()
        ? connection.peerAddress
        : QStringLiteral("%1[%2]").arg(connection.peerProcess).arg(connection.peerPid);
}

} // namespace

void DeliveryModel::refresh(const Traffic &traffic, qint64 now)
{
    std::vector<Row> rows;
    for (const auto &[pid, process] : traffic.processes()) {
        for (const auto &[id, connection] : process.connections) {
            if (!connection.delivery.known)
                continue;
            rows.push_back(Row { pid, id,
                QStringLiteral("%1[%2] #%3 \u2192 %4")
                    .arg(process.name, QString::number(pid), QString::number(id),
                        peerOf(connection)),
                connection.closed,
                connection.closed ? DeliveryHealth::Unknown : connection.delivery.health(now),
                connection.delivery });
        }
    }
    if (rows.size() == m_rows.size()
        && std::equal(rows.begin(), rows.end(), m_rows.begin(), [](const Row &a, const Row &b) {
               return a.pid == b.pid && a.connection == b.connection;
           })) {
        m_rows.swap(rows); // the same connections: the views keep their selection and scroll
        if (!m_rows.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_rows.swap(rows);
    endResetModel();
}

const DeliveryModel::Row *DeliveryModel::rowAt(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? &m_rows[std::size_t(row)] : nullptr;
}

int DeliveryModel::rowOf(qint64 pid, quint64 connection) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].pid == pid && m_rows[i].connection == connection)
            return int(i);
    }
    return -1;
}

int DeliveryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DeliveryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DeliveryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const DeliveryInfo &d = row.delivery;
    const auto number = [&]() -> QVariant {
        switch (index.column()) {
        case State:
            return severity(row.health);
        case Unconfirmed:
            return d.unconfirmed;
        case WindowFill:
            return d.windowFill();
        case Queued:
            return d.queued;
        case Socket:
            return d.socketBytes;
        case Refused:
            return d.refused;
        case BackPressure:
            return d.backPressure;
        case Resumptions:
            return d.resumptions;
        case Resent:
            return d.resent;
        case HandedBack:
            return d.handedBack;
        default:
            return {};
        }
    };
    switch (role) {
    case SortRole:
        return index.column() == Connection ? QVariant(row.label) : number();
    case Qt::TextAlignmentRole:
        return index.column() <= State ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                       : int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::BackgroundRole: {
        const QColor color = healthColor(row.health);
        return color.isValid() ? QVariant(color) : QVariant();
    }
    case Qt::ForegroundRole:
        return row.closed ? QVariant(QColor(Qt::gray)) : QVariant();
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case Connection:
        return row.label;
    case State:
        return row.closed ? tr("closed") : healthLabel(row.health);
    case Unconfirmed:
        return d.acknowledging
            ? QStringLiteral("%1 (%2)").arg(d.unconfirmed).arg(byteText(d.unconfirmedBytes))
            : tr("not acknowledged");
    case WindowFill:
        return QStringLiteral("%1%").arg(qRound(d.windowFill() * 100));
    case Queued:
        return QStringLiteral("%1 (%2)").arg(d.queued).arg(byteText(d.queuedBytes));
    case Socket:
        return byteText(d.socketBytes);
    default:
        return number();
    }
}

QVariant DeliveryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = { QT_TR_NOOP("connection"), QT_TR_NOOP("state"),
        QT_TR_NOOP("unconfirmed"), QT_TR_NOOP("window"), QT_TR_NOOP("queued"),
        QT_TR_NOOP("in socket"), QT_TR_NOOP("refused"), QT_TR_NOOP("back-pressure"),
        QT_TR_NOOP("resumed"), QT_TR_NOOP("re-sent"), QT_TR_NOOP("handed back") };
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

DeliveryChart::DeliveryChart(QWidget *parent)
    : QWidget(parent)
{
    setMinimumSize(240, 140);
}

void DeliveryChart::show(const QString &title, const std::deque<DeliveryPoint> &history)
{
    m_title = title;
    m_history = history;
    update();
}

void DeliveryChart::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF plot = rect().adjusted(48, 24, -44, -36);
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawRect(plot);
    painter.setPen(palette().color(QPalette::Text));
    const QString title
        = m_title.isEmpty() ? tr("select a connection to see its backlog") : m_title;
    painter.drawText(QRectF(0, 2, width(), 18), Qt::AlignCenter,
        painter.fontMetrics().elidedText(title, Qt::ElideMiddle, width() - 8));
    if (m_history.empty())
        return;
    qint64 peak = 1;
    for (const DeliveryPoint &point : m_history)
        peak = qMax(peak, point.backlog);
    // The last minute, newest at the right edge.
    const double step = plot.width() / double(DeliveryInfo::HistorySeconds - 1);
    const double start = plot.right() - step * double(m_history.size() - 1);
    QPainterPath backlog;
    QPainterPath fill;
    for (std::size_t i = 0; i < m_history.size(); ++i) {
        const double x = start + step * double(i);
        const QPointF b(
            x, plot.bottom() - plot.height() * double(m_history[i].backlog) / double(peak));
        const QPointF f(x, plot.bottom() - plot.height() * m_history[i].windowFill);
        i == 0 ? backlog.moveTo(b) : backlog.lineTo(b);
        i == 0 ? fill.moveTo(f) : fill.lineTo(f);
    }
    const QColor backlogColor(0xe6, 0x51, 0x00);
    const QColor fillColor(0x1e, 0x88, 0xe5);
    painter.setPen(QPen(fillColor, 1.5, Qt::DashLine));
    painter.drawPath(fill);
    painter.setPen(QPen(backlogColor, 2));
    painter.drawPath(backlog);
    painter.setPen(backlogColor);
    painter.drawText(QRectF(0, plot.top() - 6, 44, 14), Qt::AlignRight, QString::number(peak));
    painter.drawText(QRectF(0, plot.bottom() - 8, 44, 14), Qt::AlignRight, QStringLiteral("0"));
    painter.setPen(fillColor);
    painter.drawText(
        QRectF(plot.right() + 4, plot.top() - 6, 40, 14), Qt::AlignLeft, QStringLiteral("100%"));
    painter.drawText(
        QRectF(plot.right() + 4, plot.bottom() - 8, 40, 14), Qt::AlignLeft, QStringLiteral("0%"));
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(
        QRectF(plot.left(), plot.bottom() + 4, plot.width(), 14), Qt::AlignLeft, tr("-60 s"));
    painter.drawText(
        QRectF(plot.left(), plot.bottom() + 4, plot.width(), 14), Qt::AlignRight, tr("now"));
    painter.setPen(backlogColor);
    painter.drawText(QRectF(plot.left(), plot.bottom() + 18, plot.width() / 2, 16), Qt::AlignCenter,
        tr("backlog (messages)"));
    painter.setPen(fillColor);
    painter.drawText(QRectF(plot.center().x(), plot.bottom() + 18, plot.width() / 2, 16),
        Qt::AlignCenter, tr("send window fill"));
}

DeliveryView::DeliveryView(const Traffic *traffic, QWidget *parent)
    : QWidget(parent)
    , m_traffic(traffic)
    , m_model(new DeliveryModel(this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_table(new QTableView)
    , m_chart(new DeliveryChart)
{
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(DeliveryModel::SortRole);
    m_sorted->setDynamicSortFilter(true);
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(DeliveryModel::State, Qt::DescendingOrder); // those in trouble first
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this] { showSelected(); });
    auto *layout = new QHBoxLayout(this);
    layout->addWidget(m_table, 5);
    layout->addWidget(m_chart, 2);
}

void DeliveryView::refresh()
{
    const QModelIndex current = m_sorted->mapToSource(m_table->currentIndex());
    if (const DeliveryModel::Row *before = current.isValid() ? m_model->rowAt(current.row()) : nullptr)
        m_wanted = {before->pid, before->connection};
    m_model->refresh(*m_traffic, QDateTime::currentMSecsSinceEpoch());
    if (m_wanted)
        select(m_wanted->first, m_wanted->second);
    showSelected();
}

void DeliveryView::select(qint64 pid, quint64 connection)
{
    m_wanted = {pid, connection}; // kept for a refresh that has it, if this one does not
    const int row = m_model->rowOf(pid, connection);
    if (row >= 0)
        m_table->setCurrentIndex(m_sorted->mapFromSource(m_model->index(row, DeliveryModel::Connection)));
}

void DeliveryView::showSelected()
{
    const QModelIndex current = m_sorted->mapToSource(m_table->currentIndex());
    const DeliveryModel::Row *row = current.isValid() ? m_model->rowAt(current.row()) : nullptr;
    if (!row) {
        m_chart->show(QString(), {});
        return;
    }
    const DeliveryInfo &d = row->delivery;
    m_chart->show(tr("#%1: %2 unconfirmed, %3 queued, window %4%")
                      .arg(QString::number(row->connection), QString::number(d.unconfirmed),
                          QString::number(d.queued), QString::number(qRound(d.windowFill() * 100))),
        d.history);
}

} // namespace monitor
