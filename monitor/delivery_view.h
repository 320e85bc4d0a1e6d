// The Delivery tab: per connection, what it has sent and not yet seen
// confirmed, what waits in its queue, and what happened to its messages
// (refusals, back-pressure, resumptions, hand-backs), sortable, the ones in
// trouble first; and the selected connection's backlog and window fill
// over the last minute.
#pragma once

#include "traffic.h"

#include <QAbstractTableModel>
#include <QWidget>

#include <optional>
#include <utility>
#include <vector>

class QSortFilterProxyModel;
class QTableView;

namespace monitor {

class DeliveryModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Connection,
        State,
        Unconfirmed,
        WindowFill,
        Queued,
        Socket,
        Refused,
        BackPressure,
        Resumptions,
        Resent,
        HandedBack,
        ColumnCount
    };
    static constexpr int SortRole = Qt::UserRole + 1;

    struct Row
    {
        qint64 pid = 0;
        quint64 connection = 0;
        QString label; // "process[pid] #connection → peer[pid]"
        bool closed = false;
        DeliveryHealth health = DeliveryHealth::Unknown;
        DeliveryInfo delivery;
    };

    using QAbstractTableModel::QAbstractTableModel;
    // Every connection whose reporter told its delivery state.
    void refresh(const Traffic &traffic, qint64 now);
    const Row *rowAt(int row) const;
    int rowOf(qint64 pid, quint64 connection) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<Row> m_rows;
};

// One connection's backlog (messages, left scale) and window fill (percent,
// right scale), a point per second.
class DeliveryChart : public QWidget
{
    Q_OBJECT

public:
    explicit DeliveryChart(QWidget *parent = nullptr);
    void show(const QString &title, const std::deque<DeliveryPoint> &history);
    QSize sizeHint() const override { return { 420, 200 }; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QString m_title;
    std::deque<DeliveryPoint> m_history;
};

class DeliveryView : public QWidget
{
    Q_OBJECT

public:
    explicit DeliveryView(const Traffic *traffic, QWidget *parent = nullptr);
    void refresh();
    DeliveryModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    DeliveryChart *chart() const { return m_chart; }
    // Selects a connection (from the tree), if the table has it.
    void select(qint64 pid, quint64 connection);

private:
    void showSelected();

    const Traffic *m_traffic;
    DeliveryModel *m_model;
    QSortFilterProxyModel *m_sorted;
    QTableView *m_table;
    DeliveryChart *m_chart;
    std::optional<std::pair<qint64, quint64>> m_wanted; // the connection chosen (pid, id)
};

} // namespace monitor
