#include "traffic.h"

#include <QCborArray>
#include <QDateTime>

namespace monitor {

using namespace ipc::telemetry;

namespace {

quint64 idOf(const QCborMap &event, const char *name)
{
    return quint64(event.value(key(name)).toInteger());
}

} // namespace

Security securityFromName(const QString &name)
{
    if (name == QLatin1String("plain"))
        return Security::Plain;
    if (name == QLatin1String("weak"))
        return Security::Weak;
    if (name == QLatin1String("encrypted"))
        return Security::Encrypted;
    if (name == QLatin1String("authenticated"))
        return Security::Authenticated;
    return Security::Unknown;
}

QString securityLabel(Security security)
{
    switch (security) {
    case Security::Plain: return QStringLiteral("plain");
    case Security::Weak: return QStringLiteral("weak (golang-ipc v2)");
    case Security::Encrypted: return QStringLiteral("encrypted (Noise)");
    case Security::Authenticated: return QStringLiteral("authenticated (Noise + PSK)");
    case Security::Unknown: break;
    }
    return QStringLiteral("handshake");
}

// Colour-blind-safe enough: red, orange, blue, green differ in lightness too.
QColor securityColor(Security security)
{
    switch (security) {
    case Security::Plain: return QColor(0xc6, 0x28, 0x28);
    case Security::Weak: return QColor(0xef, 0x8a, 0x00);
    case Security::Encrypted: return QColor(0x1e, 0x6f, 0xd9);
    case Security::Authenticated: return QColor(0x2e, 0x7d, 0x32);
    case Security::Unknown: break;
    }
    return QColor(0x80, 0x80, 0x80);
}

Traffic::Traffic(QObject *parent)
    : QObject(parent)
{
}

const ProcessState *Traffic::processOf(quint64 source) const
{
    const auto pid = m_sourcePid.find(source);
    if (pid == m_sourcePid.end())
        return nullptr;
    const auto it = m_processes.find(pid->second);
    return it == m_processes.end() ? nullptr : &it->second;
}

ProcessState *Traffic::process(quint64 source)
{
    const auto pid = m_sourcePid.find(source);
    if (pid == m_sourcePid.end())
        return nullptr; // nothing before its Hello
    return &m_processes[pid->second];
}

namespace {

void addIncident(ConnectionState &connection, bool closed)
{
    connection.incidents.push_back({QDateTime::currentMSecsSinceEpoch(), connection.error, connection.reason, closed});
    if (connection.incidents.size() > ConnectionState::MaxIncidents)
        connection.incidents.pop_front();
}

} // namespace

void Traffic::apply(quint64 source, EventType type, const QCborMap &event)
{
    ++m_events;
    if (type == EventType::Hello) {
        const qint64 pid = event.value(key(Key::Pid)).toInteger();
        m_sourcePid[source] = pid;
        ProcessState &state = m_processes[pid];
        state.pid = pid;
        state.name = event.value(key(Key::Process)).toString();
        state.library = event.value(key(Key::Library)).toString();
        state.gone = false;
        Q_EMIT changed();
        return;
    }
    ProcessState *state = process(source);
    if (!state)
        return;
    switch (type) {
    case EventType::Hello:
        break;
    case EventType::EndpointUp: {
        EndpointState &endpoint = state->endpoints[idOf(event, Key::Endpoint)];
        endpoint.id = idOf(event, Key::Endpoint);
        endpoint.role = event.value(key(Key::Role)).toString();
        endpoint.address = event.value(key(Key::Address)).toString();
        endpoint.transport = event.value(key(Key::Transport)).toString();
        // A server reports the host:port it bound: as an address a client can use.
        if (endpoint.transport == QLatin1String("tcp") && !endpoint.address.startsWith(QLatin1String("tcp://")))
            endpoint.address.prepend(QLatin1String("tcp://"));
        endpoint.protocol = event.value(key(Key::Protocol)).toString();
        endpoint.down = false;
        break;
    }
    case EventType::EndpointStatus:
        state->endpoints[idOf(event, Key::Endpoint)].status = event.value(key(Key::Status)).toString();
        break;
    case EventType::EndpointDown: {
        EndpointState &endpoint = state->endpoints[idOf(event, Key::Endpoint)];
        endpoint.down = true;
        endpoint.status = QStringLiteral("Closed");
        break;
    }
    case EventType::ConnectionOpened: {
        ConnectionState &connection = state->connections[idOf(event, Key::Connection)];
        connection.id = idOf(event, Key::Connection);
        connection.endpoint = idOf(event, Key::Endpoint);
        connection.peerAddress = event.value(key(Key::PeerAddress)).toString();
        connection.peerPid = event.value(key(Key::PeerPid)).toInteger(-1);
        connection.peerUid = event.value(key(Key::PeerUid)).toInteger(-1);
        break;
    }
    case EventType::ConnectionEstablished: {
        ConnectionState &connection = state->connections[idOf(event, Key::Connection)];
        connection.established = true;
        connection.protocol = event.value(key(Key::Protocol)).toString();
        const qint64 peerPid = event.value(key(Key::PeerPid)).toInteger(-1);
        if (peerPid > 0)
            connection.peerPid = peerPid;
        connection.peerProcess = event.value(key(Key::PeerProcess)).toString();
        connection.encryption = event.value(key(Key::Encryption)).toString();
        connection.security = securityFromName(event.value(key(Key::Security)).toString());
        connection.handshakeHash = event.value(key(Key::HandshakeHash)).toString();
        break;
    }
    case EventType::ConnectionError: {
        ConnectionState &connection = state->connections[idOf(event, Key::Connection)];
        connection.error = event.value(key(Key::Error)).toString();
        connection.reason = event.value(key(Key::Reason)).toString();
        addIncident(connection, false);
        break;
    }
    case EventType::ConnectionClosed: {
        ConnectionState &connection = state->connections[idOf(event, Key::Connection)];
        connection.closed = true;
        connection.error = event.value(key(Key::Error)).toString();
        connection.reason = event.value(key(Key::Reason)).toString();
        addIncident(connection, true);
        connection.receivedRate = connection.sentRate = 0;
        connection.delivery.history.clear(); // its last state stays; a minute of history need not
        break;
    }
    case EventType::Counters:
        applyCounters(*state, event);
        break;
    case EventType::MessageSamples:
        applySamples(*state, event);
        break;
    case EventType::Dropped:
        m_droppedSamples += quint64(event.value(key(Key::Samples)).toInteger());
        m_droppedEvents += quint64(event.value(key(Key::Events)).toInteger());
        break;
    case EventType::Requests:
        applyRequests(*state, event);
        break;
    case EventType::Delivery:
        applyDelivery(*state, event);
        break;
    }
    Q_EMIT changed();
}

void Traffic::applyCounters(ProcessState &process, const QCborMap &event)
{
    for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
        const QCborArray row = value.toArray();
        if (row.size() < 7)
            continue;
        const quint64 id = quint64(row.at(0).toInteger());
        const auto direction = Direction(row.at(1).toInteger());
        const auto type = qint32(row.at(2).toInteger());
        const auto count = quint64(row.at(3).toInteger());
        const auto bytes = quint64(row.at(4).toInteger());
        const auto minSize = quint64(row.at(5).toInteger());
        const auto maxSize = quint64(row.at(6).toInteger());
        const QString name = row.size() > 7 ? row.at(7).toString() : QString(); // object traffic
        ConnectionState &connection = process.connections[id];
        connection.id = id;
        (direction == Direction::Received ? connection.received : connection.sent).add(count, bytes);
        TypeStats &stats = m_types[TypeKey(type, name)];
        stats.minSize = stats.count() == 0 ? minSize : qMin(stats.minSize, minSize);
        stats.maxSize = qMax(stats.maxSize, maxSize);
        stats.type = type;
        stats.name = name;
        (direction == Direction::Received ? stats.received : stats.sent).add(count, bytes);
    }
}

// [endpoint, peer, type, outcome, count, sum, max, [bucket, count, ...], name?]
void Traffic::applyRequests(const ProcessState &process, const QCborMap &event)
{
    for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
        const QCborArray row = value.toArray();
        const qint64 outcome = row.at(3).toInteger(-1);
        if (row.size() < 8 || outcome < 0 || outcome >= LatencyStats::Outcomes)
            continue; // not a row this version knows
        // A reporter sends no negative number; a broken one is not believed.
        const auto count = [](const QCborValue &value) { return quint64(qMax<qint64>(0, value.toInteger())); };
        LatencyStats delta;
        delta.outcomes[std::size_t(outcome)] = count(row.at(4));
        delta.sumMicros = count(row.at(5));
        delta.maxMicros = count(row.at(6));
        const QCborArray buckets = row.at(7).toArray();
        for (qsizetype i = 0; i + 1 < buckets.size(); i += 2) {
            const qint64 bucket = buckets.at(i).toInteger(-1);
            if (bucket >= 0 && bucket < ipc::telemetry::LatencyBuckets)
                delta.buckets[std::size_t(bucket)] += count(buckets.at(i + 1));
        }
        LatencyKey key{process.pid, count(row.at(0)), count(row.at(1)),
                       TypeKey(qint32(row.at(2).toInteger()), row.size() > 8 ? row.at(8).toString() : QString())};
        // Bounded whatever the reporters say: beyond the cap, new keys fold
        // into one per process.
        if (m_latency.size() >= MaxLatencyKeys && m_latency.count(key) == 0)
            key = LatencyKey{process.pid, 0, 0, TypeKey(0, tr("(others)"))};
        m_latency[key].add(delta);
    }
}

// [connection, unconfirmed, ..., writable, acknowledging]: current values.
void Traffic::applyDelivery(ProcessState &process, const QCborMap &event)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
        const QCborArray row = value.toArray();
        const quint64 id = quint64(row.at(0).toInteger());
        const auto it = process.connections.find(id);
        // Only for a connection it announced: a row cannot make the map grow.
        if (it != process.connections.end())
            it->second.delivery.apply(row, now);
    }
}

std::map<TypeKey, LatencyStats> Traffic::latencyByType(std::optional<qint64> pid, std::optional<quint64> connection) const
{
    // A client's requests (peer 0) belong to its endpoint's connection.
    std::optional<quint64> clientEndpoint;
    if (pid && connection) {
        const auto process = m_processes.find(*pid);
        if (process != m_processes.end()) {
            const auto it = process->second.connections.find(*connection);
            if (it != process->second.connections.end())
                clientEndpoint = it->second.endpoint;
        }
    }
    std::map<TypeKey, LatencyStats> byType;
    for (const auto &[key, stats] : m_latency) {
        if (pid && key.pid != *pid)
            continue;
        if (connection && key.peer != *connection && !(key.peer == 0 && clientEndpoint == key.endpoint))
            continue;
        byType[key.type].add(stats);
    }
    return byType;
}

void Traffic::applySamples(ProcessState &process, const QCborMap &event)
{
    // [row, kind, id] for the rows that are requests or answers.
    std::map<qsizetype, std::pair<int, quint64>> correlations;
    for (const QCborValue &value : event.value(key(Key::Correlations)).toArray()) {
        const QCborArray entry = value.toArray();
        if (entry.size() >= 3)
            correlations[entry.at(0).toInteger(-1)] = {int(entry.at(1).toInteger()), quint64(entry.at(2).toInteger())};
    }
    QList<LoggedMessage> logged;
    const QCborArray rows = event.value(key(Key::Rows)).toArray();
    for (qsizetype index = 0; index < rows.size(); ++index) {
        const QCborArray row = rows.at(index).toArray();
        if (row.size() < 5)
            continue;
        LoggedMessage message;
        if (const auto tag = correlations.find(index); tag != correlations.end()) {
            message.correlationKind = tag->second.first;
            message.correlationId = tag->second.second;
        }
        message.time = row.at(0).toInteger();
        message.pid = process.pid;
        message.process = process.name;
        message.connection = quint64(row.at(1).toInteger());
        message.direction = Direction(row.at(2).toInteger());
        message.type = qint32(row.at(3).toInteger());
        message.size = quint64(row.at(4).toInteger());
        // [5] the payload preview (null when not reported but a name follows),
        // [6] remote-object traffic's name, [7] its decoded arguments.
        if (row.size() > 5 && !row.at(5).isNull()) {
            message.payload = row.at(5).toByteArray();
            message.payloadReported = true;
        }
        if (row.size() > 6)
            message.name = row.at(6).toString();
        if (row.size() > 7)
            message.arguments = row.at(7);
        const auto connection = process.connections.find(message.connection);
        if (connection != process.connections.end()) {
            message.endpoint = connection->second.endpoint;
            message.peerPid = connection->second.peerPid;
            message.peer = connection->second.peerProcess.isEmpty()
                ? connection->second.peerAddress
                : QStringLiteral("%1 (%2)").arg(connection->second.peerProcess).arg(connection->second.peerPid);
            const auto endpoint = process.endpoints.find(message.endpoint);
            if (endpoint != process.endpoints.end())
                message.endpointAddress = endpoint->second.address;
        }
        logged.append(message);
    }
    if (!logged.isEmpty())
        Q_EMIT messagesLogged(logged);
}

void Traffic::sourceGone(quint64 source)
{
    const auto pid = m_sourcePid.find(source);
    if (pid == m_sourcePid.end())
        return;
    const auto it = m_processes.find(pid->second);
    m_sourcePid.erase(pid);
    if (it == m_processes.end())
        return;
    it->second.gone = true;
    for (auto &connection : it->second.connections) {
        connection.second.closed = true;
        connection.second.receivedRate = connection.second.sentRate = 0;
    }
    Q_EMIT changed();
}

void Traffic::tick()
{
    for (auto &entry : m_types) {
        TypeStats &stats = entry.second;
        quint64 &before = m_typeCountAtTick[entry.first];
        stats.rate = double(stats.count() - before);
        before = stats.count();
        stats.history.push_back(stats.rate);
        while (stats.history.size() > std::size_t(HistorySeconds))
            stats.history.pop_front();
    }
    for (auto &process : m_processes) {
        for (auto &entry : process.second.connections) {
            ConnectionState &connection = entry.second;
            auto &before = m_connectionCountAtTick[{process.first, entry.first}];
            connection.receivedRate = double(connection.received.count - before.first);
            connection.sentRate = double(connection.sent.count - before.second);
            before = {connection.received.count, connection.sent.count};
            if (!connection.closed)
                connection.delivery.tick();
        }
    }
    Q_EMIT changed();
}

void Traffic::clearClosed()
{
    // Latency goes with what it belongs to: a gone process, a closed
    // connection of a server (a client's requests stay with its endpoint).
    for (auto it = m_latency.begin(); it != m_latency.end();) {
        const auto process = m_processes.find(it->first.pid);
        bool forget = process == m_processes.end() || process->second.gone;
        if (!forget && it->first.peer != 0) {
            const auto connection = process->second.connections.find(it->first.peer);
            forget = connection != process->second.connections.end() && connection->second.closed;
        }
        it = forget ? m_latency.erase(it) : std::next(it);
    }
    for (auto process = m_processes.begin(); process != m_processes.end();) {
        if (process->second.gone) {
            process = m_processes.erase(process);
            continue;
        }
        auto &connections = process->second.connections;
        for (auto it = connections.begin(); it != connections.end();)
            it = it->second.closed ? connections.erase(it) : std::next(it);
        auto &endpoints = process->second.endpoints;
        for (auto it = endpoints.begin(); it != endpoints.end();)
            it = it->second.down ? endpoints.erase(it) : std::next(it);
        ++process;
    }
    Q_EMIT changed();
}

} // namespace monitor
