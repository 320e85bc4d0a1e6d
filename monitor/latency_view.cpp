#include "latency_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPainter>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace monitor {

using ipc::telemetry::RequestOutcome;

void LatencyModel::refresh(const std::map<TypeKey, LatencyStats> &byType)
{
    beginResetModel();
    m_rows.assign(byType.begin(), byType.end());
    endResetModel();
}

const LatencyStats *LatencyModel::statsAt(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? &m_rows[std::size_t(row)].second : nullptr;
}

int LatencyModel::rowOf(const QString &label) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].first.label() == label)
            return int(i);
    }
    return -1;
}

int LatencyModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LatencyModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LatencyModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const auto &[type, stats] = m_rows[std::size_t(index.row())];
    const auto number = [&]() -> QVariant {
        switch (index.column()) {
        case Requests: return stats.count();
        case Errors: return stats.ended(RequestOutcome::ErrorReply);
        case Timeouts: return stats.ended(RequestOutcome::Timeout);
        case Lost: return stats.ended(RequestOutcome::ConnectionLost) + stats.ended(RequestOutcome::Refused);
        case P50: return stats.percentile(0.5);
        case P90: return stats.percentile(0.9);
        case P99: return stats.percentile(0.99);
        case Max: return stats.maxMicros;
        case Mean: return quint64(stats.meanMicros());
        default: return {};
        }
    };
    if (role == SortRole)
        return index.column() == Type ? QVariant(type.label()) : number();
    if (role == Qt::TextAlignmentRole)
        return index.column() == Type ? int(Qt::AlignLeft | Qt::AlignVCenter) : int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    if (index.column() == Type)
        return type.label();
    if (index.column() >= P50)
        return durationText(number().toULongLong());
    return number();
}

QVariant LatencyModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {QT_TR_NOOP("type or member"), QT_TR_NOOP("requests"), QT_TR_NOOP("errors"),
                                        QT_TR_NOOP("timeouts"), QT_TR_NOOP("lost"), QT_TR_NOOP("p50"),
                                        QT_TR_NOOP("p90"), QT_TR_NOOP("p99"), QT_TR_NOOP("max"), QT_TR_NOOP("mean")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

LatencyHistogram::LatencyHistogram(QWidget *parent)
    : QWidget(parent)
{
    setMinimumSize(240, 140);
}

void LatencyHistogram::show(const QString &title, const LatencyStats &stats)
{
    m_title = title;
    m_stats = stats;
    update();
}

void LatencyHistogram::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF plot = rect().adjusted(48, 24, -12, -36);
    painter.setPen(palette().color(QPalette::Mid));
    painter.drawRect(plot);
    painter.setPen(palette().color(QPalette::Text));
    painter.drawText(QRectF(0, 2, width(), 18), Qt::AlignCenter,
                     m_title.isEmpty() ? tr("select a row to see how long its requests took") : m_title);
    // A bar per power of two of microseconds: the histogram's four
    // buckets per power added up.
    constexpr int Powers = ipc::telemetry::LatencyBuckets / 4;
    std::array<quint64, Powers> bars{};
    for (int i = 0; i < ipc::telemetry::LatencyBuckets; ++i)
        bars[std::size_t(i / 4)] += m_stats.buckets[std::size_t(i)];
    int first = Powers;
    int last = -1;
    quint64 peak = 0;
    for (int i = 0; i < Powers; ++i) {
        if (bars[std::size_t(i)] == 0)
            continue;
        first = qMin(first, i);
        last = i;
        peak = qMax(peak, bars[std::size_t(i)]);
    }
    if (last < 0)
        return;
    first = qMax(0, first - 1);
    last = qMin(Powers - 1, last + 1);
    const int count = last - first + 1;
    const double width = plot.width() / count;
    painter.drawText(QRectF(0, plot.top() - 6, 44, 14), Qt::AlignRight, QString::number(peak));
    painter.drawText(QRectF(0, plot.bottom() - 8, 44, 14), Qt::AlignRight, QStringLiteral("0"));
    for (int i = first; i <= last; ++i) {
        const double x = plot.left() + width * (i - first);
        const double height = plot.height() * double(bars[std::size_t(i)]) / double(peak);
        painter.fillRect(QRectF(x + 2, plot.bottom() - height, width - 4, height), QColor(0x1e, 0x88, 0xe5));
        // Every other label when they crowd.
        if (count <= 12 || (i - first) % 2 == 0) {
            const quint64 start = ipc::telemetry::latencyBucketStart(i * 4);
            painter.drawText(QRectF(x - width / 2, plot.bottom() + 4, width * 2, 14), Qt::AlignCenter,
                             durationText(start));
        }
    }
    painter.drawText(QRectF(plot.left(), plot.bottom() + 18, plot.width(), 16), Qt::AlignCenter,
                     tr("requests by duration (from)"));
}

LatencyView::LatencyView(const Traffic *traffic, QWidget *parent)
    : QWidget(parent)
    , m_traffic(traffic)
    , m_model(new LatencyModel(this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_table(new QTableView)
    , m_histogram(new LatencyHistogram)
    , m_scope(new QComboBox)
{
    m_sorted->setSourceModel(m_model);
    m_sorted->setSortRole(LatencyModel::SortRole);
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(LatencyModel::P99, Qt::DescendingOrder); // the slowest first
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_scope->addItem(tr("every process"));
    connect(m_scope, &QComboBox::currentIndexChanged, this, [this] { refresh(); });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] { showSelected(); });

    auto *left = new QVBoxLayout;
    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Requests made by")));
    bar->addWidget(m_scope, 1);
    left->addLayout(bar);
    left->addWidget(m_table);
    auto *layout = new QHBoxLayout(this);
    layout->addLayout(left, 2);
    layout->addWidget(m_histogram, 1);
}

void LatencyView::refresh()
{
    const Traffic &traffic = *m_traffic;
    // The scope's entries: every process, then each process and each of its
    // connections, kept by their pid and connection id across refreshes.
    const QVariant current = m_scope->currentData();
    QList<QPair<QString, QVariant>> entries;
    for (const auto &[pid, process] : traffic.processes()) {
        entries.append({QStringLiteral("%1[%2]").arg(process.name, QString::number(pid)), QVariantList{pid}});
        for (const auto &[id, connection] : process.connections) {
            const QString peer = connection.peerProcess.isEmpty() ? connection.peerAddress
                                                                  : QStringLiteral("%1[%2]").arg(connection.peerProcess).arg(connection.peerPid);
            entries.append({QStringLiteral("  %1[%2] connection %3 to %4")
                                .arg(process.name, QString::number(pid), QString::number(id), peer),
                            QVariantList{pid, id}});
        }
    }
    bool same = m_scope->count() == entries.size() + 1;
    for (int i = 0; same && i < entries.size(); ++i)
        same = m_scope->itemData(i + 1) == entries.at(i).second && m_scope->itemText(i + 1) == entries.at(i).first;
    if (!same) { // rebuilt only when it changed: an open list stays put
        const QSignalBlocker blocker(m_scope);
        while (m_scope->count() > 1)
            m_scope->removeItem(1);
        for (const auto &entry : entries)
            m_scope->addItem(entry.first, entry.second);
        const int index = current.isValid() ? m_scope->findData(current) : 0;
        m_scope->setCurrentIndex(index < 0 ? 0 : index);
    }
    const QVariantList scope = m_scope->currentData().toList();
    const std::optional<qint64> pid = scope.size() > 0 ? std::optional<qint64>(scope.at(0).toLongLong()) : std::nullopt;
    const std::optional<quint64> connection
        = scope.size() > 1 ? std::optional<quint64>(scope.at(1).toULongLong()) : std::nullopt;
    // Keep the selected row across the model's reset.
    const QString selected = m_table->currentIndex().siblingAtColumn(LatencyModel::Type).data().toString();
    m_model->refresh(traffic.latencyByType(pid, connection));
    const int row = m_model->rowOf(selected);
    if (row >= 0)
        m_table->setCurrentIndex(m_sorted->mapFromSource(m_model->index(row, LatencyModel::Type)));
    showSelected();
}

void LatencyView::showSelected()
{
    const QModelIndex current = m_sorted->mapToSource(m_table->currentIndex());
    const LatencyStats *stats = current.isValid() ? m_model->statsAt(current.row()) : nullptr;
    if (!stats) {
        m_histogram->show(QString(), LatencyStats());
        return;
    }
    const QString label = m_model->index(current.row(), LatencyModel::Type).data().toString();
    m_histogram->show(tr("%1: %2 request(s), p50 %3, p99 %4, max %5")
                          .arg(label, QString::number(stats->count()), durationText(stats->percentile(0.5)),
                               durationText(stats->percentile(0.99)), durationText(stats->maxMicros)),
                      *stats);
}

} // namespace monitor
