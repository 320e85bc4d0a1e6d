// Item models over Traffic for the views: the process/endpoint/connection
// tree, the message log (capped, appended in batches, pausable) with its
// filter, and per-type statistics. Widget-free, so tests drive them.
#pragma once

#include "traffic.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>

#include <deque>
#include <optional>
#include <set>

namespace monitor {

// Roles the tree's first column carries.
enum TreeRole {
    KindRole = Qt::UserRole + 1, // "process", "endpoint", "connection"
    KeyRole,                     // pid, endpoint id or connection id
    SecurityRole,                // int(Security), connections only
    ClosedRole,                  // bool
    AddressRole,                 // an endpoint's address (for sending a test message)
    DeliveryHealthRole,          // int(DeliveryHealth), connections only
};

// Columns: name, status, transport/protocol, peer, security, received,
// sent, rate. Rows keep their place; closed ones are greyed until cleared.
class TreeModel : public QStandardItemModel
{
public:
    explicit TreeModel(QObject *parent = nullptr);
    void refresh(const Traffic &traffic);
    static QString formatCount(const Totals &totals);
};

class MessageLog : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Time, Process, Endpoint, Peer, Direction, Type, Size, Payload, ColumnCount };
    static constexpr int DefaultCap = 10000;

    explicit MessageLog(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Rows beyond the cap leave from the top, in one batch per append.
    void setCap(int cap) { m_cap = cap; }
    int cap() const { return m_cap; }
    void append(const QList<LoggedMessage> &messages);
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    quint64 missedWhilePaused() const { return m_missed; }
    void clear();
    const LoggedMessage &at(int row) const { return m_rows.at(std::size_t(row)); }
    QString toCsv() const;

private:
    std::deque<LoggedMessage> m_rows;
    int m_cap = DefaultCap;
    bool m_paused = false;
    quint64 m_missed = 0;
};

// Filters for the log, all usable while it runs.
class LogFilter : public QSortFilterProxyModel
{
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setOnlyType(std::optional<qint32> type);
    // A number keeps that type of the application's messages; other text
    // keeps the remote-object traffic whose name contains it.
    void setOnlyType(const QString &text);
    void excludeType(const TypeKey &type);
    void clearExcluded();
    void setDirection(std::optional<ipc::telemetry::Direction> direction);
    void setEndpointText(const QString &text);
    void setSearchText(const QString &text);

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override;

private:
    std::optional<qint32> m_onlyType;
    QString m_onlyName;
    std::set<TypeKey> m_excluded;
    std::optional<ipc::telemetry::Direction> m_direction;
    QString m_endpoint;
    QString m_search;
};

// Per type: count, bytes, min, mean, max size, rate.
class TypeStatsModel : public QStandardItemModel
{
public:
    explicit TypeStatsModel(QObject *parent = nullptr);
    void refresh(const Traffic &traffic);
    QString toCsv() const;
};

} // namespace monitor
