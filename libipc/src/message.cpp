// Typed payloads: CBOR in the message data, read back with a clear error.
#include <ipc/message.h>

#include <QCborArray>
#include <QCborMap>
#include <QCborStreamReader>
#include <QJsonArray>
#include <QJsonObject>

namespace ipc {

QCborValue Message::toCbor(QString *errorString) const
{
    QCborStreamReader reader(data);
    const QCborValue value = QCborValue::fromCbor(reader);
    QString error;
    if (reader.lastError() != QCborError::NoError)
        error = QStringLiteral("the message data is not valid CBOR: %1 at byte %2 of %3")
                    .arg(reader.lastError().toString())
                    .arg(reader.currentOffset())
                    .arg(data.size());
    else if (reader.currentOffset() != data.size())
        error = QStringLiteral(
            "the message data holds %1 byte(s) after its CBOR item (at byte %2 of %3)")
                    .arg(data.size() - reader.currentOffset())
                    .arg(reader.currentOffset())
                    .arg(data.size());
    if (errorString)
        *errorString = error;
    return error.isEmpty() ? value : QCborValue(QCborValue::Invalid);
}

QJsonDocument Message::toJson(QString *errorString) const
{
    QString error;
    const QCborValue value = toCbor(&error);
    QJsonDocument document;
    if (error.isEmpty() && value.isMap())
        document = QJsonDocument(value.toMap().toJsonObject());
    else if (error.isEmpty() && value.isArray())
        document = QJsonDocument(value.toArray().toJsonArray());
    else if (error.isEmpty())
        error = QStringLiteral(
            "the message data is CBOR but neither a map nor an array: no JSON document");
    if (errorString)
        *errorString = error;
    return document;
}

QVariantMap Message::toVariantMap(QString *errorString) const
{
    QString error;
    const QCborValue value = toCbor(&error);
    if (error.isEmpty() && !value.isMap())
        error = QStringLiteral("the message data is CBOR but not a map");
    if (errorString)
        *errorString = error;
    return error.isEmpty() ? value.toMap().toVariantMap() : QVariantMap();
}

QByteArray encodeCbor(const QCborValue &value)
{
    return value.toCbor();
}

QByteArray encodeCbor(const QJsonDocument &document)
{
    if (document.isArray())
        return QCborValue(QCborArray::fromJsonArray(document.array())).toCbor();
    return QCborValue(QCborMap::fromJsonObject(document.object())).toCbor();
}

QByteArray encodeCbor(const QVariantMap &map)
{
    return QCborValue(QCborMap::fromVariantMap(map)).toCbor();
}

} // namespace ipc
