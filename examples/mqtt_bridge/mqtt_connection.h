// A connection to an MQTT broker for a Qt program, on libmosquitto: its
// network thread keeps the connection (and reconnects), and everything it
// reports arrives as signals on the thread that owns this object.
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>

#include <mutex>

struct mosquitto;
struct mosquitto_message;

class MqttConnection : public QObject
{
    Q_OBJECT

public:
    explicit MqttConnection(const QString &clientId, QObject *parent = nullptr);
    ~MqttConnection() override;

    /// A retained message the broker publishes for us if we vanish.
    void setWill(const QString &topic, const QByteArray &payload);
    /// Topic filters to subscribe to, again after each reconnection.
    void setSubscriptions(const QStringList &filters);
    /// Starts connecting (and keeps reconnecting) in libmosquitto's thread.
    bool connectToBroker(const QString &host, int port);
    bool isConnected() const { return m_connected; }
    /// Queues a message at QoS 1; false if it cannot. While the broker is
    /// away nothing is queued: how many were not published is told (as
    /// errorOccurred) on reconnection, when the bridge publishes its
    /// retained values again.
    bool publish(const QString &topic, const QByteArray &payload, bool retain = false);

Q_SIGNALS:
    void connected();
    void disconnected(const QString &reason);
    void messageReceived(const QString &topic, const QByteArray &payload);
    void errorOccurred(const QString &text);

private:
    static void onConnect(mosquitto *, void *self, int code);
    static void onDisconnect(mosquitto *, void *self, int code);
    static void onMessage(mosquitto *, void *self, const mosquitto_message *message);
    void fail(const QString &what, int code);

    mosquitto *m_mosquitto = nullptr;
    std::mutex m_lock; // m_subscriptions: read on libmosquitto's thread
    QStringList m_subscriptions;
    bool m_connected = false;
    quint64 m_unpublished = 0; // while the broker was away
    bool m_loopRunning = false;
};
