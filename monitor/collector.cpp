#include "collector.h"

namespace monitor {

namespace {

ipc::ServerConfig collectorConfig()
{
    ipc::ServerConfig config;
    config.monitoring = ipc::Monitoring::Off; // its own traffic would feed itself
    config.maxMessageSize = 16 << 20;         // counter batches of busy processes
    return config;
}

} // namespace

Collector::Collector(const QString &address, QObject *parent)
    : QObject(parent)
    , m_server(address, collectorConfig())
{
    connect(&m_server, &ipc::Server::messageReceived, this, [this](const ipc::Message &message) {
        const QCborMap event = ipc::telemetry::decodeEvent(message.data);
        if (!event.isEmpty())
            Q_EMIT eventReceived(message.clientId, ipc::telemetry::EventType(message.type), event);
    });
    connect(&m_server, &ipc::Server::clientDisconnected, this, &Collector::sourceGone);
}

bool Collector::listen()
{
    return m_server.listen();
}

} // namespace monitor
