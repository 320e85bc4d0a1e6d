// mqtt_bridge: puts remote objects of a libipc server on an MQTT broker, so
// that dashboards, home-automation systems and programs on other machines
// see their properties and signals, and set and call them, through the
// broker (topics: object_bridge.h).
//
//   mqtt_bridge ADDRESS OBJECT... [--broker HOST:PORT] [--prefix PREFIX]
//
// e.g. with examples/remote_objects' thermostat_daemon running:
//   mqtt_bridge thermostat thermostat
//   mosquitto_sub -t 'libipc/#' -v
//   mosquitto_pub -t libipc/thermostat/set/target -m 23.5
//   mosquitto_pub -t libipc/thermostat/call/describe -m '[]'
// Both sides reconnect by themselves: the libipc server may restart, and so
// may the broker.
#include "mqtt_connection.h"
#include "object_bridge.h"

#include <ipc/client.h>
#include <ipc/replica.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <memory>
#include <vector>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Mirrors a libipc server's remote objects onto an MQTT broker, and back."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("The libipc server (name, /path.sock or tcp://host:port)."));
    parser.addPositionalArgument(QStringLiteral("object"), QStringLiteral("The remote objects to bridge."), QStringLiteral("object..."));
    const QCommandLineOption broker(QStringLiteral("broker"), QStringLiteral("The MQTT broker (default 127.0.0.1:1883)."),
                                    QStringLiteral("host:port"), QStringLiteral("127.0.0.1:1883"));
    const QCommandLineOption prefix(QStringLiteral("prefix"), QStringLiteral("The topics' first level (default libipc)."),
                                    QStringLiteral("prefix"), QStringLiteral("libipc"));
    parser.addOptions({ broker, prefix });
    parser.process(app);
    const QStringList positional = parser.positionalArguments();
    const qsizetype colon = parser.value(broker).lastIndexOf(QLatin1Char(':'));
    bool portOk = false;
    const int port = parser.value(broker).mid(colon + 1).toInt(&portOk);
    if (positional.size() < 2 || colon <= 0 || !portOk || port <= 0 || port > 65535) {
        QTextStream(stderr) << "usage: mqtt_bridge ADDRESS OBJECT... [--broker HOST:PORT] [--prefix PREFIX]\n";
        return 2;
    }
    const QString host = parser.value(broker).left(colon);

    ipc::Client client(positional.first());
    QObject::connect(&client, &ipc::Client::errorOccurred, &client, [&client](ipc::Error) {
        QTextStream(stderr) << "libipc: " << client.errorString() << Qt::endl;
    });
    MqttConnection mqtt(QStringLiteral("libipc-bridge-%1").arg(QCoreApplication::applicationPid()));
    QObject::connect(&mqtt, &MqttConnection::errorOccurred, &mqtt,
                     [](const QString &text) { QTextStream(stderr) << text << Qt::endl; });
    // PREFIX/$bridge says whether the bridge runs: the broker publishes its
    // will, "offline", if the bridge vanishes without a goodbye.
    const QString bridgeTopic = parser.value(prefix) + QStringLiteral("/$bridge");
    mqtt.setWill(bridgeTopic, "offline");
    QObject::connect(&mqtt, &MqttConnection::connected, &mqtt, [&] {
        mqtt.publish(bridgeTopic, "online", true);
        QTextStream(stdout) << "connected to the broker at " << parser.value(broker) << Qt::endl;
    });
    QObject::connect(&mqtt, &MqttConnection::disconnected, &mqtt,
                     [](const QString &reason) { QTextStream(stderr) << "MQTT: disconnected: " << reason << Qt::endl; });

    std::vector<std::unique_ptr<ipc::DynamicReplica>> replicas;
    std::vector<std::unique_ptr<ObjectBridge>> bridges;
    QStringList subscriptions;
    for (const QString &object : positional.mid(1)) {
        replicas.emplace_back(client.acquireDynamic(object));
        bridges.push_back(std::make_unique<ObjectBridge>(replicas.back().get(), object, &mqtt, parser.value(prefix)));
        subscriptions += bridges.back()->subscriptions();
    }
    mqtt.setSubscriptions(subscriptions);
    if (!mqtt.connectToBroker(host, port))
        return 1;
    return QCoreApplication::exec();
}
