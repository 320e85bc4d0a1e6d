// Mirrors one remote object onto MQTT topics under PREFIX/OBJECT, values as
// JSON:
//   PREFIX/$bridge                 "online" / "offline": the bridge itself
//                                  (retained; mqtt_bridge.cpp)
//   PREFIX/OBJECT/$state           "online" / "offline": the object (retained)
//   PREFIX/OBJECT/PROPERTY         each property's value (retained)
//   PREFIX/OBJECT/signal/SIGNAL    each emission's arguments, an array
// and back, from anyone who publishes to the broker:
//   PREFIX/OBJECT/set/PROPERTY     a value: the property is set
//   PREFIX/OBJECT/call/METHOD      an array of arguments: the method is called,
//   PREFIX/OBJECT/result/METHOD    and its {"result": ...} or {"error": ...}
//   PREFIX/OBJECT/error            what went wrong with a request from MQTT
#pragma once

#include <QJsonValue>
#include <QObject>
#include <QString>

class MqttConnection;
namespace ipc {
class DynamicReplica;
}

class ObjectBridge : public QObject
{
    Q_OBJECT

public:
    ObjectBridge(ipc::DynamicReplica *replica, const QString &objectName, MqttConnection *mqtt,
                 const QString &prefix, QObject *parent = nullptr);

    /// The topic filters this object's bridge needs subscribed.
    QStringList subscriptions() const;

private:
    void publishState(bool always);
    void publishValue(const QString &name, const QVariant &value);
    void onMqttMessage(const QString &topic, const QByteArray &payload);
    void setProperty(const QString &name, const QByteArray &payload);
    void callMethod(const QString &name, const QByteArray &payload);
    void publishResult(const QString &method, const QString &key, const QJsonValue &value);
    void reportError(const QString &text);

    ipc::DynamicReplica *m_replica;
    MqttConnection *m_mqtt;
    QString m_base;
    bool m_online = false;
};
