// The Latency tab: per type or object member, how many requests ended each
// way and how long they took (p50, p90, p99, max, mean), sortable, for
// every process, one process or one connection; and the histogram of the
// selected row.
#pragma once

#include "traffic.h"

#include <QAbstractTableModel>
#include <QWidget>

class QComboBox;
class QSortFilterProxyModel;
class QTableView;

namespace monitor {

class LatencyModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Type, Requests, Errors, Timeouts, Lost, P50, P90, P99, Max, Mean, ColumnCount };
    // Sorting reads numbers from this role, the display shows durations.
    static constexpr int SortRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;
    void refresh(const std::map<TypeKey, LatencyStats> &byType);
    const LatencyStats *statsAt(int row) const;
    // The row of a type or member's label ("thermostat.describe()", "3"), -1 if none.
    int rowOf(const QString &label) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<std::pair<TypeKey, LatencyStats>> m_rows;
};

// Bars of one row's durations, a bar per power of two.
class LatencyHistogram : public QWidget
{
    Q_OBJECT

public:
    explicit LatencyHistogram(QWidget *parent = nullptr);
    void show(const QString &title, const LatencyStats &stats);
    QSize sizeHint() const override { return {420, 200}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    LatencyStats m_stats;
};

class LatencyView : public QWidget
{
    Q_OBJECT

public:
    explicit LatencyView(const Traffic *traffic, QWidget *parent = nullptr);
    void refresh();
    LatencyModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    LatencyHistogram *histogram() const { return m_histogram; }
    // The scope: every process (index 0), then each process and connection.
    QComboBox *scope() const { return m_scope; }

private:
    void showSelected();

    const Traffic *m_traffic;
    LatencyModel *m_model;
    QSortFilterProxyModel *m_sorted;
    QTableView *m_table;
    LatencyHistogram *m_histogram;
    QComboBox *m_scope;
};

} // namespace monitor
