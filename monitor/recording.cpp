#include "recording.h"

#include <QCborArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace monitor {

using ipc::telemetry::EventType;

bool Recorder::open(const QString &path, QString *error)
{
    m_file.setFileName(path);
    if (m_file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text))
        return true;
    *error = QStringLiteral("cannot write %1: %2").arg(path, m_file.errorString());
    return false;
}

void Recorder::write(qint64 time, quint64 source, EventType type, const QCborMap &event)
{
    if (!m_file.isOpen())
        return;
    QJsonObject line;
    line.insert(QStringLiteral("time"), time);
    line.insert(QStringLiteral("source"), qint64(source));
    line.insert(QStringLiteral("type"), int(type));
    line.insert(QStringLiteral("event"), event.toJsonObject());
    m_file.write(QJsonDocument(line).toJson(QJsonDocument::Compact));
    m_file.write("\n");
}

void Recorder::writeSourceGone(qint64 time, quint64 source)
{
    if (!m_file.isOpen())
        return;
    QJsonObject line;
    line.insert(QStringLiteral("time"), time);
    line.insert(QStringLiteral("source"), qint64(source));
    line.insert(QStringLiteral("type"), 0);
    m_file.write(QJsonDocument(line).toJson(QJsonDocument::Compact));
    m_file.write("\n");
}

namespace {

// JSON has no bytes: payload previews come back from their base64url text.
QCborMap restoreBytes(int type, QCborMap event)
{
    if (EventType(type) != EventType::MessageSamples)
        return event;
    const QString rowsKey = QLatin1String(ipc::telemetry::Key::Rows);
    QCborArray rows = event.value(rowsKey).toArray();
    for (qsizetype i = 0; i < rows.size(); ++i) {
        QCborArray row = rows.at(i).toArray();
        if (row.size() > 5 && row.at(5).isString()) {
            row[5] = QByteArray::fromBase64(row.at(5).toString().toLatin1(),
                                            QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
            rows[i] = row;
        }
    }
    event.insert(rowsKey, rows);
    return event;
}

} // namespace

bool readRecording(const QString &path, const RecordedEvent &callback, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    int number = 0;
    while (!file.atEnd()) {
        const QByteArray text = file.readLine().trimmed();
        ++number;
        if (text.isEmpty())
            continue;
        QJsonParseError parse;
        const QJsonDocument document = QJsonDocument::fromJson(text, &parse);
        if (!document.isObject()) {
            *error = QStringLiteral("%1, line %2: not a recorded event (%3)").arg(path).arg(number).arg(parse.errorString());
            return false;
        }
        const QJsonObject line = document.object();
        const int type = line.value(QStringLiteral("type")).toInt();
        const QCborMap event = QCborMap::fromJsonObject(line.value(QStringLiteral("event")).toObject());
        callback(qint64(line.value(QStringLiteral("time")).toDouble()),
                 quint64(line.value(QStringLiteral("source")).toDouble()), type, restoreBytes(type, event));
    }
    return true;
}

} // namespace monitor
