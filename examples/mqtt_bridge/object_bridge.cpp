#include "object_bridge.h"

#include "mqtt_connection.h"

#include <ipc/replica.h>

#include <QFuture>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace {

QByteArray jsonOf(const QJsonValue &value)
{
    // A top-level scalar is valid JSON; QJsonDocument holds only arrays
    // and objects, so one goes in an array whose brackets are cut off.
    return QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact).chopped(1).mid(1);
}

// One JSON value, or why the payload is not one.
QJsonValue parseJson(const QByteArray &payload, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson("[" + payload + "]", &parseError);
    if (parseError.error != QJsonParseError::NoError || document.array().size() != 1) {
        *error = QStringLiteral("not one JSON value: %1").arg(QString::fromUtf8(payload.left(80)));
        return {};
    }
    return document.array().at(0);
}

QString nameOf(const QString &signature)
{
    return signature.left(signature.indexOf(QLatin1Char('(')));
}

} // namespace

ObjectBridge::ObjectBridge(ipc::DynamicReplica *replica, const QString &objectName, MqttConnection *mqtt,
                           const QString &prefix, QObject *parent)
    : QObject(parent)
    , m_replica(replica)
    , m_mqtt(mqtt)
    , m_base(prefix + QLatin1Char('/') + objectName)
{
    connect(m_replica, &ipc::Replica::stateChanged, this, [this] { publishState(false); });
    connect(m_replica, &ipc::DynamicReplica::valueChanged, this, &ObjectBridge::publishValue);
    connect(m_replica, &ipc::DynamicReplica::signalEmitted, this,
            [this](const QString &signature, const QVariantList &arguments) {
                m_mqtt->publish(m_base + QStringLiteral("/signal/") + nameOf(signature),
                                QJsonDocument(QJsonArray::fromVariantList(arguments)).toJson(QJsonDocument::Compact));
            });
    connect(m_mqtt, &MqttConnection::messageReceived, this, &ObjectBridge::onMqttMessage);
    // After a broker restart without persistence the retained topics are
    // gone: publish them again.
    connect(m_mqtt, &MqttConnection::connected, this, [this] { publishState(true); });
}

QStringList ObjectBridge::subscriptions() const
{
    return { m_base + QStringLiteral("/set/+"), m_base + QStringLiteral("/call/+") };
}

void ObjectBridge::publishState(bool always)
{
    const bool online = m_replica->isValid();
    // A replica passes through several states that are all "offline".
    if (!m_mqtt->isConnected() || (online == m_online && !always))
        return;
    m_online = online;
    m_mqtt->publish(m_base + QStringLiteral("/$state"), online ? "online" : "offline", true);
    if (!online)
        return;
    const QVariantMap values = m_replica->values();
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        publishValue(it.key(), it.value());
}

void ObjectBridge::publishValue(const QString &name, const QVariant &value)
{
    m_mqtt->publish(m_base + QLatin1Char('/') + name, jsonOf(QJsonValue::fromVariant(value)), true);
}

void ObjectBridge::onMqttMessage(const QString &topic, const QByteArray &payload)
{
    const QString setPrefix = m_base + QStringLiteral("/set/");
    const QString callPrefix = m_base + QStringLiteral("/call/");
    if (topic.startsWith(setPrefix))
        setProperty(topic.mid(setPrefix.size()), payload);
    else if (topic.startsWith(callPrefix))
        callMethod(topic.mid(callPrefix.size()), payload);
}

void ObjectBridge::setProperty(const QString &name, const QByteArray &payload)
{
    QString error;
    const QJsonValue value = parseJson(payload, &error);
    if (!error.isEmpty())
        return reportError(QStringLiteral("set %1: %2").arg(name, error));
    if (!m_replica->isValid())
        return reportError(QStringLiteral("set %1: the object is offline").arg(name));
    m_replica->setValue(name, value.toVariant()).onFailed(this, [this, name](const ipc::RemoteCallError &e) {
        reportError(QStringLiteral("set %1: %2").arg(name, e.errorString()));
    });
}

void ObjectBridge::callMethod(const QString &name, const QByteArray &payload)
{
    QString error;
    const QJsonValue arguments = payload.trimmed().isEmpty() ? QJsonArray() : parseJson(payload, &error);
    if (error.isEmpty() && !arguments.isArray())
        error = QStringLiteral("the arguments must be a JSON array");
    if (error.isEmpty() && !m_replica->isValid())
        error = QStringLiteral("the object is offline");
    if (!error.isEmpty())
        return publishResult(name, QStringLiteral("error"), error);
    m_replica->call(name, arguments.toArray().toVariantList())
        .then(this, [this, name](const QVariant &result) {
            publishResult(name, QStringLiteral("result"), QJsonValue::fromVariant(result));
        })
        .onFailed(this, [this, name](const ipc::RemoteCallError &e) {
            publishResult(name, QStringLiteral("error"), e.errorString());
        });
}

void ObjectBridge::publishResult(const QString &method, const QString &key, const QJsonValue &value)
{
    m_mqtt->publish(m_base + QStringLiteral("/result/") + method,
                    QJsonDocument(QJsonObject { { key, value } }).toJson(QJsonDocument::Compact));
}

void ObjectBridge::reportError(const QString &text)
{
    QTextStream(stderr) << text << Qt::endl;
    m_mqtt->publish(m_base + QStringLiteral("/error"), text.toUtf8());
}
