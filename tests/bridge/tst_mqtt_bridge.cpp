// examples/mqtt_bridge against a real MQTT broker: a mosquitto this test
// starts on a loopback port, a thermostat source in this process, the bridge
// as its own process, and mosquitto_sub / mosquitto_pub on the MQTT side, as
// an MQTT user would have them.
#include "testnames.h"
#include "thermostat_source.h"

#include <ipc/server.h>

#include <QProcess>
#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace {

constexpr int Patience = 30000;

class Thermostat : public ThermostatSource
{
public:
    QString describe() override { return QStringLiteral("target %1").arg(target()); }
    void boost(int minutes) override { boosted = minutes; }
    int boosted = 0;
};

// A port nothing listens on now (the broker cannot take port 0 itself).
quint16 freePort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

bool reachable(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    return socket.waitForConnected(1000);
}

// mosquitto_sub -v: one "topic payload" line per message.
class Subscriber
{
public:
    Subscriber(quint16 port, const QString &filter)
    {
        m_process.start(QStringLiteral("mosquitto_sub"),
            { QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(port),
              QStringLiteral("-t"), filter, QStringLiteral("-v") });
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] {
            m_buffer += m_process.readAllStandardOutput();
            qsizetype end;
            while ((end = m_buffer.indexOf('\n')) >= 0) {
                m_lines << QString::fromUtf8(m_buffer.left(end));
                m_buffer.remove(0, end + 1);
            }
        });
    }
    ~Subscriber()
    {
        m_process.kill();
        m_process.waitForFinished();
    }
    bool saw(const QString &line) const { return m_lines.contains(line); }
    QStringList lines() const { return m_lines; }
    bool running() const { return m_process.state() != QProcess::NotRunning; }

private:
    QProcess m_process;
    QByteArray m_buffer;
    QStringList m_lines;
};

} // namespace

class tst_MqttBridge : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void propertiesAreRetained();
    void signalsAndChangesArePublished();
    void propertiesAreSetFromMqtt();
    void methodsAreCalledFromMqtt();
    void badRequestsAreAnsweredWithTheCause();
    void anObjectThatGoesAndComesBackIsShown();
    void aRestartedBrokerGetsTheValuesAgain();
    void aBridgeThatDiesLeavesItsWill();

private:
    bool startBroker(quint16 port);
    bool publish(const QString &topic, const QString &payload);
    std::unique_ptr<Subscriber> subscribe();
    void startServer();
    QString topic(const QString &rest) const { return m_prefix + QStringLiteral("/thermostat/") + rest; }

    QTemporaryDir m_dir;
    QProcess m_broker;
    QProcess m_bridge;
    quint16 m_port = 0;
    QString m_prefix;
    QString m_serverName;
    Thermostat m_thermostat;
    std::unique_ptr<ipc::Server> m_server;
    std::unique_ptr<Subscriber> m_subscriber;
};

void tst_MqttBridge::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Another program may take the chosen port before the broker does:
    // then the broker exits, and another port is tried.
    for (int attempt = 0; attempt < 5 && m_port == 0; ++attempt) {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        if (startBroker(port))
            m_port = port;
    }
    QVERIFY2(m_port != 0, "mosquitto did not start on a free loopback port");

    m_prefix = uniqueName("mqtt");
    m_serverName = uniqueName("mqtt_server");
    m_thermostat.setTarget(21.5);
    startServer();
    m_subscriber = subscribe();
    QVERIFY2(m_subscriber, "mosquitto_sub did not get what was published");
    m_bridge.setProcessChannelMode(QProcess::ForwardedChannels);
    m_bridge.start(QStringLiteral(MQTT_BRIDGE_PATH),
        { m_serverName, QStringLiteral("thermostat"), QStringLiteral("--broker"),
          QStringLiteral("127.0.0.1:%1").arg(m_port), QStringLiteral("--prefix"), m_prefix });
    QVERIFY(m_bridge.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(m_prefix + QStringLiteral("/$bridge online")), Patience);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("$state online"))), Patience);
}

// A broker on the loopback port, without persistence: true once it answers.
bool tst_MqttBridge::startBroker(quint16 port)
{
    const QString config = m_dir.filePath(QStringLiteral("mosquitto.conf"));
    QFile file(config);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(QStringLiteral("listener %1 127.0.0.1\nallow_anonymous true\npersistence false\n"
                              "log_dest stderr\nlog_type error\nlog_type warning\n").arg(port).toUtf8());
    file.close();
    m_broker.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_broker.start(QStringLiteral(MOSQUITTO_PATH), { QStringLiteral("-c"), config });
    if (!m_broker.waitForStarted())
        return false;
    return QTest::qWaitFor([&] { return m_broker.state() == QProcess::NotRunning || reachable(port); }, Patience)
        && m_broker.state() == QProcess::Running;
}

void tst_MqttBridge::cleanupTestCase()
{
    m_subscriber.reset();
    for (QProcess *process : { &m_bridge, &m_broker }) {
        process->kill();
        process->waitForFinished();
    }
}

void tst_MqttBridge::startServer()
{
    m_server = std::make_unique<ipc::Server>(m_serverName);
    QVERIFY(m_server->exposeObject(&m_thermostat, QStringLiteral("thermostat")));
    QVERIFY2(m_server->listen(), qPrintable(m_server->errorString()));
}

// A subscriber to everything under the prefix, once the broker has it:
// probes are published until one comes back through it (null if none does).
std::unique_ptr<Subscriber> tst_MqttBridge::subscribe()
{
    auto subscriber = std::make_unique<Subscriber>(m_port, m_prefix + QStringLiteral("/#"));
    static int probes = 0;
    const QString payload = QString::number(++probes);
    const QString echoed = m_prefix + QStringLiteral("/probe ") + payload;
    const bool ready = QTest::qWaitFor([&] {
        return !subscriber->running()
            || (publish(m_prefix + QStringLiteral("/probe"), payload)
                && QTest::qWaitFor([&] { return subscriber->saw(echoed); }, 500));
    }, Patience);
    return ready && subscriber->running() ? std::move(subscriber) : nullptr;
}

bool tst_MqttBridge::publish(const QString &topic, const QString &payload)
{
    QProcess publisher;
    publisher.setProcessChannelMode(QProcess::ForwardedChannels);
    publisher.start(QStringLiteral("mosquitto_pub"),
        { QStringLiteral("-h"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(m_port),
          QStringLiteral("-q"), QStringLiteral("1"), QStringLiteral("-t"), topic, QStringLiteral("-m"), payload });
    return publisher.waitForFinished(Patience) && publisher.exitStatus() == QProcess::NormalExit
        && publisher.exitCode() == 0;
}

void tst_MqttBridge::propertiesAreRetained()
{
    // A subscriber that comes later still gets every property's value and
    // the states, kept by the broker.
    const auto late = subscribe();
    QVERIFY(late);
    QTRY_VERIFY_WITH_TIMEOUT(late->saw(topic(QStringLiteral("target 21.5"))), Patience);
    QVERIFY(late->saw(topic(QStringLiteral("temperature 18"))));
    QVERIFY(late->saw(topic(QStringLiteral("heating false"))));
    QVERIFY(late->saw(topic(QStringLiteral("$state online"))));
    QVERIFY(late->saw(m_prefix + QStringLiteral("/$bridge online")));
}

void tst_MqttBridge::signalsAndChangesArePublished()
{
    Q_EMIT m_thermostat.alarm(QStringLiteral("too warm: 29.0 °C"));
    m_thermostat.setTemperature(19.25);
    m_thermostat.setHeating(true);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("signal/alarm [\"too warm: 29.0 °C\"]"))), Patience);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("temperature 19.25"))), Patience);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("heating true"))), Patience);
}

void tst_MqttBridge::propertiesAreSetFromMqtt()
{
    QVERIFY(publish(topic(QStringLiteral("set/target")), QStringLiteral("23.5")));
    QTRY_COMPARE_WITH_TIMEOUT(m_thermostat.target(), 23.5, Patience);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("target 23.5"))), Patience);
}

void tst_MqttBridge::methodsAreCalledFromMqtt()
{
    QVERIFY(publish(topic(QStringLiteral("call/boost")), QStringLiteral("[5]")));
    QTRY_COMPARE_WITH_TIMEOUT(m_thermostat.boosted, 5, Patience);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("result/boost {\"result\":null}"))), Patience);
    m_thermostat.setTarget(20);
    QVERIFY(publish(topic(QStringLiteral("call/describe")), QString()));
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("result/describe {\"result\":\"target 20\"}"))), Patience);
}

void tst_MqttBridge::badRequestsAreAnsweredWithTheCause()
{
    QVERIFY(publish(topic(QStringLiteral("set/target")), QStringLiteral("warm")));
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("error set target: not one JSON value: warm"))), Patience);
    QVERIFY(publish(topic(QStringLiteral("set/temperature")), QStringLiteral("30")));
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->lines().filter(topic(QStringLiteral("error set temperature: "))).size() == 1, Patience);
    QVERIFY(publish(topic(QStringLiteral("call/explode")), QStringLiteral("[]")));
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->lines().filter(topic(QStringLiteral("result/explode {\"error\":"))).size() == 1, Patience);
    QVERIFY(publish(topic(QStringLiteral("call/boost")), QStringLiteral("{\"minutes\":3}")));
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("result/boost {\"error\":\"the arguments must be a JSON array\"}"))), Patience);
    QCOMPARE(m_thermostat.temperature(), 19.25);
    QCOMPARE(m_thermostat.boosted, 5);
    // Nothing of that broke the bridge.
    QVERIFY(publish(topic(QStringLiteral("set/target")), QStringLiteral("22")));
    QTRY_COMPARE_WITH_TIMEOUT(m_thermostat.target(), 22.0, Patience);
}

void tst_MqttBridge::anObjectThatGoesAndComesBackIsShown()
{
    const QString offline = topic(QStringLiteral("$state offline"));
    const int offlineBefore = m_subscriber->lines().count(offline);
    m_server.reset();
    QTRY_COMPARE_WITH_TIMEOUT(m_subscriber->lines().count(offline), offlineBefore + 1, Patience);
    const int onlineBefore = m_subscriber->lines().count(topic(QStringLiteral("$state online")));
    m_thermostat.setTarget(24);
    startServer();
    QTRY_COMPARE_WITH_TIMEOUT(m_subscriber->lines().count(topic(QStringLiteral("$state online"))), onlineBefore + 1, Patience);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("target 24"))), Patience);
}

void tst_MqttBridge::aRestartedBrokerGetsTheValuesAgain()
{
    // Without persistence the new broker knows nothing: the bridge
    // reconnects, subscribes again and publishes every value again.
    m_subscriber.reset();
    m_broker.kill();
    QVERIFY(m_broker.waitForFinished());
    QVERIFY2(startBroker(m_port), "mosquitto did not start again on its port");
    m_subscriber = subscribe();
    QVERIFY(m_subscriber);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(m_prefix + QStringLiteral("/$bridge online")), Patience);
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(topic(QStringLiteral("target 24"))), Patience);
    QVERIFY(m_subscriber->saw(topic(QStringLiteral("$state online"))));
    QVERIFY(publish(topic(QStringLiteral("set/target")), QStringLiteral("20.5")));
    QTRY_COMPARE_WITH_TIMEOUT(m_thermostat.target(), 20.5, Patience);
}

void tst_MqttBridge::aBridgeThatDiesLeavesItsWill()
{
    m_bridge.kill();
    QVERIFY(m_bridge.waitForFinished());
    QTRY_VERIFY_WITH_TIMEOUT(m_subscriber->saw(m_prefix + QStringLiteral("/$bridge offline")), Patience);
}

QTEST_GUILESS_MAIN(tst_MqttBridge)
#include "tst_mqtt_bridge.moc"
