#include "mqtt_connection.h"

#include <mosquitto.h>

#include <QMetaObject>

namespace {

constexpr int KeepAliveSeconds = 30;
constexpr int QoS = 1; // at least once: a broker that restarts loses nothing in flight

struct Library
{
    Library() { mosquitto_lib_init(); }
    ~Library() { mosquitto_lib_cleanup(); }
};

} // namespace

MqttConnection::MqttConnection(const QString &clientId, QObject *parent)
    : QObject(parent)
{
    static Library library;
    m_mosquitto = mosquitto_new(clientId.toUtf8().constData(), true, this);
    if (!m_mosquitto)
        return; // connectToBroker() says so
    mosquitto_connect_callback_set(m_mosquitto, &MqttConnection::onConnect);
    mosquitto_disconnect_callback_set(m_mosquitto, &MqttConnection::onDisconnect);
    mosquitto_message_callback_set(m_mosquitto, &MqttConnection::onMessage);
    mosquitto_reconnect_delay_set(m_mosquitto, 1, 30, true);
}

MqttConnection::~MqttConnection()
{
    if (!m_mosquitto)
        return;
    if (m_loopRunning) {
        mosquitto_disconnect(m_mosquitto);
        mosquitto_loop_stop(m_mosquitto, false);
    }
    mosquitto_destroy(m_mosquitto);
}

void MqttConnection::setSubscriptions(const QStringList &filters)
{
    std::lock_guard<std::mutex> guard(m_lock);
    m_subscriptions = filters;
}

void MqttConnection::setWill(const QString &topic, const QByteArray &payload)
{
    if (!m_mosquitto)
        return;
    const int code = mosquitto_will_set(m_mosquitto, topic.toUtf8().constData(), int(payload.size()),
                                        payload.constData(), QoS, true);
    if (code != MOSQ_ERR_SUCCESS)
        fail(QStringLiteral("will on %1").arg(topic), code);
}

bool MqttConnection::connectToBroker(const QString &host, int port)
{
    if (!m_mosquitto) {
        Q_EMIT errorOccurred(QStringLiteral("MQTT: no client: out of memory, or an invalid client id"));
        return false;
    }
    int code = mosquitto_connect_async(m_mosquitto, host.toUtf8().constData(), port, KeepAliveSeconds);
    // A broker not there yet is retried by the network thread; anything
    // else (a bad host name) is final.
    if (code != MOSQ_ERR_SUCCESS && code != MOSQ_ERR_ERRNO) {
        fail(QStringLiteral("connecting to %1:%2").arg(host).arg(port), code);
        return false;
    }
    code = mosquitto_loop_start(m_mosquitto);
    if (code != MOSQ_ERR_SUCCESS) {
        fail(QStringLiteral("starting the network thread"), code);
        return false;
    }
    m_loopRunning = true;
    return true;
}

bool MqttConnection::publish(const QString &topic, const QByteArray &payload, bool retain)
{
    if (!m_mosquitto || !m_connected) {
        // Not queued while the broker is away: libmosquitto would hold it
        // without limit. Counted, and told once it is back.
        ++m_unpublished;
        return false;
    }
    const int code = mosquitto_publish(m_mosquitto, nullptr, topic.toUtf8().constData(),
                                       int(payload.size()), payload.constData(), QoS, retain);
    if (code == MOSQ_ERR_SUCCESS)
        return true;
    fail(QStringLiteral("publishing to %1").arg(topic), code);
    return false;
}

void MqttConnection::fail(const QString &what, int code)
{
    Q_EMIT errorOccurred(QStringLiteral("MQTT: %1: %2").arg(what, QString::fromUtf8(mosquitto_strerror(code))));
}

// The callbacks run on libmosquitto's thread: each hands its news to the
// owner's thread, and none touches the object there.
void MqttConnection::onConnect(mosquitto *mosq, void *self, int code)
{
    auto *connection = static_cast<MqttConnection *>(self);
    if (code == 0) {
        std::lock_guard<std::mutex> guard(connection->m_lock);
        for (const QString &filter : connection->m_subscriptions)
            mosquitto_subscribe(mosq, nullptr, filter.toUtf8().constData(), QoS);
    }
    const QString refusal = QString::fromUtf8(mosquitto_connack_string(code));
    QMetaObject::invokeMethod(connection, [connection, code, refusal] {
        connection->m_connected = code == 0;
        if (code == 0 && connection->m_unpublished > 0) {
            Q_EMIT connection->errorOccurred(
                QStringLiteral("MQTT: %1 message(s) were not published while the broker was away")
                    .arg(connection->m_unpublished));
            connection->m_unpublished = 0;
        }
        if (code == 0)
            Q_EMIT connection->connected();
        else
            Q_EMIT connection->errorOccurred(QStringLiteral("MQTT: the broker refused us: %1").arg(refusal));
    }, Qt::QueuedConnection);
}

void MqttConnection::onDisconnect(mosquitto *, void *self, int code)
{
    auto *connection = static_cast<MqttConnection *>(self);
    const QString reason = code == 0 ? QStringLiteral("closed") : QString::fromUtf8(mosquitto_strerror(code));
    QMetaObject::invokeMethod(connection, [connection, reason] {
        connection->m_connected = false;
        Q_EMIT connection->disconnected(reason);
    }, Qt::QueuedConnection);
}

void MqttConnection::onMessage(mosquitto *, void *self, const mosquitto_message *message)
{
    auto *connection = static_cast<MqttConnection *>(self);
    const QString topic = QString::fromUtf8(message->topic);
    const QByteArray payload(static_cast<const char *>(message->payload), message->payloadlen);
    QMetaObject::invokeMethod(connection, [connection, topic, payload] {
        Q_EMIT connection->messageReceived(topic, payload);
    }, Qt::QueuedConnection);
}
