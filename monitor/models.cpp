#include "models.h"

#include "event_text.h"

#include <QDateTime>
#include <QFont>
#include <QIcon>
#include <QPainter>
#include <QPixmap>

#include <map>

namespace monitor {

using ipc::telemetry::Direction;

namespace {

QString processKey(qint64 pid)
{
    return QStringLiteral("p%1").arg(pid);
}

// Finds the child row whose first column carries this key, or appends one.
QList<QStandardItem *> childRow(QStandardItem *parent, const QString &key, int columns)
{
    for (int row = 0; row < parent->rowCount(); ++row) {
        if (parent->child(row)->data(KeyRole).toString() == key) {
            QList<QStandardItem *> items;
            for (int column = 0; column < columns; ++column)
                items << parent->child(row, column);
            return items;
        }
    }
    QList<QStandardItem *> items;
    for (int column = 0; column < columns; ++column) {
        auto *item = new QStandardItem;
        item->setEditable(false);
        items << item;
    }
    items.first()->setData(key, KeyRole);
    parent->appendRow(items);
    return items;
}

void setTexts(const QList<QStandardItem *> &items, const QStringList &texts)
{
    for (int i = 0; i < texts.size() && i < items.size(); ++i) {
        if (items[i]->text() != texts[i])
            items[i]->setText(texts[i]);
    }
}

// A dot in the state's colour, beside its name: readable at a glance.
QIcon securityIcon(Security security)
{
    static std::map<int, QIcon> icons;
    auto it = icons.find(int(security));
    if (it != icons.end())
        return it->second;
    QPixmap dot(12, 12);
    dot.fill(Qt::transparent);
    QPainter painter(&dot);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(securityColor(security));
    painter.drawEllipse(QRectF(1, 1, 10, 10));
    painter.end();
    return icons.emplace(int(security), QIcon(dot)).first->second;
}

void setGreyed(const QList<QStandardItem *> &items, bool greyed)
{
    for (QStandardItem *item : items)
        item->setForeground(greyed ? QBrush(Qt::gray) : QBrush());
}

// A connection that is backing up, has a full queue or resumed stands out.
void setBackground(const QList<QStandardItem *> &items, const QColor &color)
{
    const QBrush brush = color.isValid() ? QBrush(color) : QBrush();
    for (QStandardItem *item : items) {
        if (item->background() != brush)
            item->setBackground(brush);
    }
}

QString csvField(QString text)
{
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) || text.contains(QLatin1Char('\n')))
        return QLatin1Char('"') + text.replace(QLatin1Char('"'), QLatin1String("\"\"")) + QLatin1Char('"');
    return text;
}

} // namespace

TreeModel::TreeModel(QObject *parent)
    : QStandardItemModel(0, 8, parent)
{
    setHorizontalHeaderLabels({tr("Process / endpoint / connection"), tr("Status"), tr("Transport, protocol"),
                               tr("Peer"), tr("Security"), tr("Received"), tr("Sent"), tr("Rate (msg/s)")});
}

QString TreeModel::formatCount(const Totals &totals)
{
    return QStringLiteral("%1 (%2)").arg(totals.count).arg(byteText(qint64(totals.bytes)));
}

void TreeModel::refresh(const Traffic &traffic)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QStandardItem *root = invisibleRootItem();
    for (const auto &[pid, process] : traffic.processes()) {
        const QList<QStandardItem *> processRow = childRow(root, processKey(pid), columnCount());
        processRow[0]->setData(QStringLiteral("process"), KindRole);
        processRow[0]->setData(process.gone, ClosedRole);
        setTexts(processRow, {QStringLiteral("%1 [%2]").arg(process.name).arg(pid),
                              process.gone ? tr("gone") : tr("reporting"), QString(), QString(), QString(),
                              QString(), QString(), QString()});
        setGreyed(processRow, process.gone);
        for (const auto &[endpointId, endpoint] : process.endpoints) {
            const QList<QStandardItem *> endpointRow =
                childRow(processRow[0], QStringLiteral("e%1").arg(endpointId), columnCount());
            endpointRow[0]->setData(QStringLiteral("endpoint"), KindRole);
            endpointRow[0]->setData(endpoint.address, AddressRole);
            endpointRow[0]->setData(endpoint.down, ClosedRole);
            Totals received;
            Totals sent;
            double rate = 0;
            for (const auto &[connectionId, connection] : process.connections) {
                if (connection.endpoint != endpointId)
                    continue;
                received.add(connection.received.count, connection.received.bytes);
                sent.add(connection.sent.count, connection.sent.bytes);
                rate += connection.receivedRate + connection.sentRate;
                const QList<QStandardItem *> row =
                    childRow(endpointRow[0], QStringLiteral("c%1").arg(connectionId), columnCount());
                row[0]->setData(QStringLiteral("connection"), KindRole);
                row[0]->setData(int(connection.security), SecurityRole);
                row[0]->setData(connection.closed, ClosedRole);
                const QString peer = connection.peerProcess.isEmpty()
                    ? connection.peerAddress
                    : QStringLiteral("%1 [%2]").arg(connection.peerProcess).arg(connection.peerPid);
                const DeliveryHealth health
                    = connection.closed ? DeliveryHealth::Unknown : connection.delivery.health(now);
                row[0]->setData(int(health), DeliveryHealthRole);
                QString status = connection.closed
                    ? (connection.error.isEmpty() ? tr("closed") : tr("closed: %1").arg(connection.error))
                    : connection.established ? tr("connected") : tr("handshake");
                if (health != DeliveryHealth::Unknown && health != DeliveryHealth::Fine)
                    status = QStringLiteral("%1, %2").arg(status, healthLabel(health));
                setTexts(row, {tr("connection %1").arg(connectionId), status, connection.protocol, peer,
                               securityLabel(connection.security), formatCount(connection.received),
                               formatCount(connection.sent),
                               QString::number(connection.receivedRate + connection.sentRate, 'f', 0)});
                row[4]->setForeground(connection.closed ? QBrush(Qt::gray) : QBrush(securityColor(connection.security)));
                if (row[4]->data(SecurityRole).toInt() != int(connection.security) || row[4]->icon().isNull()) {
                    row[4]->setIcon(securityIcon(connection.security));
                    row[4]->setData(int(connection.security), SecurityRole);
                }
                row[0]->setToolTip(connection.reason.isEmpty()
                                       ? tr("handshake hash %1").arg(connection.handshakeHash)
                                       : connection.reason);
                row[1]->setToolTip(connection.delivery.explain(now));
                setGreyed(row.mid(0, 4) + row.mid(5), connection.closed);
                setBackground(row, healthColor(health));
            }
            setTexts(endpointRow, {QStringLiteral("%1 %2").arg(endpoint.role, endpoint.address), endpoint.status,
                                   QStringLiteral("%1, %2").arg(endpoint.transport, endpoint.protocol), QString(),
                                   QString(), formatCount(received), formatCount(sent), QString::number(rate, 'f', 0)});
            setGreyed(endpointRow, endpoint.down || process.gone);
        }
    }
    // What Traffic forgot (cleared) leaves the tree too.
    for (int row = root->rowCount() - 1; row >= 0; --row) {
        QStandardItem *processItem = root->child(row);
        const qint64 pid = processItem->data(KeyRole).toString().mid(1).toLongLong();
        const auto process = traffic.processes().find(pid);
        if (process == traffic.processes().end()) {
            root->removeRow(row);
            continue;
        }
        for (int e = processItem->rowCount() - 1; e >= 0; --e) {
            QStandardItem *endpointItem = processItem->child(e);
            const quint64 endpointId = endpointItem->data(KeyRole).toString().mid(1).toULongLong();
            if (!process->second.endpoints.count(endpointId)) {
                processItem->removeRow(e);
                continue;
            }
            for (int c = endpointItem->rowCount() - 1; c >= 0; --c) {
                const quint64 id = endpointItem->child(c)->data(KeyRole).toString().mid(1).toULongLong();
                if (!process->second.connections.count(id))
                    endpointItem->removeRow(c);
            }
        }
    }
}

MessageLog::MessageLog(QObject *parent)
    : QAbstractTableModel(parent)
{
}

int MessageLog::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MessageLog::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MessageLog::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const LoggedMessage &message = m_rows[std::size_t(index.row())];
    if (role == Qt::UserRole)
        return QVariant::fromValue(message);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Time: return QDateTime::fromMSecsSinceEpoch(message.time).toString(QStringLiteral("HH:mm:ss.zzz"));
    case Process: return QStringLiteral("%1 [%2]").arg(message.process).arg(message.pid);
    case Endpoint: return message.endpointAddress;
    case Peer: return message.peer;
    case Direction: return message.direction == Direction::Received ? tr("in") : tr("out");
    case Type: return message.key().label();
    case Size: return qulonglong(message.size);
    case Payload:
        if (!message.arguments.isUndefined()) // remote-object traffic: its arguments, decoded
            return message.arguments.toDiagnosticNotation(QCborValue::Compact);
        return message.payloadReported ? payloadPreview(message.payload) : tr("(not reported)");
    }
    return {};
}

QVariant MessageLog::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const QStringList names{tr("Time"), tr("Process"), tr("Endpoint"), tr("Peer"),
                                   tr("Dir"),  tr("Type"),    tr("Size"),     tr("Payload")};
    return names.value(section);
}

void MessageLog::append(const QList<LoggedMessage> &messages)
{
    if (messages.isEmpty())
        return;
    if (m_paused) {
        m_missed += quint64(messages.size());
        return;
    }
    // Only the newest `cap` of a huge batch can stay.
    const qsizetype skip = qMax<qsizetype>(0, messages.size() - m_cap);
    const int incoming = int(messages.size() - skip);
    const int overflow = int(m_rows.size()) + incoming - m_cap;
    if (overflow > 0) {
        beginRemoveRows({}, 0, overflow - 1);
        m_rows.erase(m_rows.begin(), m_rows.begin() + overflow);
        endRemoveRows();
    }
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size()) + incoming - 1);
    m_rows.insert(m_rows.end(), messages.begin() + skip, messages.end());
    endInsertRows();
}

void MessageLog::setPaused(bool paused)
{
    m_paused = paused;
    if (!paused)
        m_missed = 0;
}

void MessageLog::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

QString MessageLog::toCsv() const
{
    QString csv = QStringLiteral("time,pid,process,endpoint,peer,direction,type,name,size,payload_hex,arguments\n");
    for (const LoggedMessage &message : m_rows) {
        csv += QStringList{QDateTime::fromMSecsSinceEpoch(message.time).toString(Qt::ISODateWithMs),
                           QString::number(message.pid), csvField(message.process), csvField(message.endpointAddress),
                           csvField(message.peer),
                           message.direction == Direction::Received ? QStringLiteral("in") : QStringLiteral("out"),
                           QString::number(message.type), csvField(message.name), QString::number(message.size),
                           QString::fromLatin1(message.payload.toHex()),
                           message.arguments.isUndefined()
                               ? QString()
                               : csvField(message.arguments.toDiagnosticNotation(QCborValue::Compact))}
                   .join(QLatin1Char(','))
            + QLatin1Char('\n');
    }
    return csv;
}

void LogFilter::setOnlyType(std::optional<qint32> type)
{
    m_onlyType = type;
    m_onlyName.clear();
    invalidateFilter();
}

void LogFilter::setOnlyType(const QString &text)
{
    bool isNumber = false;
    const int type = text.trimmed().toInt(&isNumber);
    m_onlyType = isNumber ? std::optional<qint32>(type) : std::nullopt;
    m_onlyName = isNumber ? QString() : text.trimmed();
    invalidateFilter();
}

void LogFilter::excludeType(const TypeKey &type)
{
    m_excluded.insert(type);
    invalidateFilter();
}

void LogFilter::clearExcluded()
{
    m_excluded.clear();
    invalidateFilter();
}

void LogFilter::setDirection(std::optional<Direction> direction)
{
    m_direction = direction;
    invalidateFilter();
}

void LogFilter::setEndpointText(const QString &text)
{
    m_endpoint = text;
    invalidateFilter();
}

void LogFilter::setSearchText(const QString &text)
{
    m_search = text;
    invalidateFilter();
}

bool LogFilter::filterAcceptsRow(int row, const QModelIndex &parent) const
{
    const auto *log = static_cast<const MessageLog *>(sourceModel());
    if (parent.isValid() || row >= log->rowCount())
        return false;
    const LoggedMessage &message = log->at(row);
    if (m_onlyType && (message.type != *m_onlyType || !message.name.isEmpty()))
        return false;
    if (!m_onlyName.isEmpty() && !message.name.contains(m_onlyName, Qt::CaseInsensitive))
        return false;
    if (m_excluded.count(message.key()))
        return false;
    if (m_direction && message.direction != *m_direction)
        return false;
    if (!m_endpoint.isEmpty() && !message.endpointAddress.contains(m_endpoint, Qt::CaseInsensitive))
        return false;
    if (m_search.isEmpty())
        return true;
    for (int column = 0; column < MessageLog::ColumnCount; ++column) {
        if (log->index(row, column).data().toString().contains(m_search, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

TypeStatsModel::TypeStatsModel(QObject *parent)
    : QStandardItemModel(0, 7, parent)
{
    setHorizontalHeaderLabels({tr("Type"), tr("Messages"), tr("Bytes"), tr("Min size"), tr("Mean size"),
                               tr("Max size"), tr("Rate (msg/s)")});
}

void TypeStatsModel::refresh(const Traffic &traffic)
{
    int row = 0;
    for (const auto &[type, stats] : traffic.types()) {
        if (row >= rowCount()) {
            QList<QStandardItem *> items;
            for (int column = 0; column < columnCount(); ++column) {
                auto *item = new QStandardItem;
                item->setEditable(false);
                items << item;
            }
            appendRow(items);
        }
        const quint64 count = stats.count();
        const QStringList texts{type.label(), QString::number(count), QString::number(stats.bytes()),
                                QString::number(stats.minSize),
                                count ? QString::number(double(stats.bytes()) / double(count), 'f', 1) : QString(),
                                QString::number(stats.maxSize), QString::number(stats.rate, 'f', 0)};
        for (int column = 0; column < columnCount(); ++column) {
            QStandardItem *cell = item(row, column);
            if (cell->text() != texts[column])
                cell->setText(texts[column]);
            cell->setData(column == 0 ? QVariant(type.type) : QVariant(), Qt::UserRole);
        }
        ++row;
    }
    if (rowCount() > row)
        removeRows(row, rowCount() - row);
}

QString TypeStatsModel::toCsv() const
{
    QString csv = QStringLiteral("type,messages,bytes,min_size,mean_size,max_size,rate_per_s\n");
    for (int row = 0; row < rowCount(); ++row) {
        QStringList fields;
        for (int column = 0; column < columnCount(); ++column)
            fields << item(row, column)->text();
        csv += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return csv;
}

} // namespace monitor
