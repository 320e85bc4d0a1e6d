#include "telemetry/reporter.h"

#include "logging.h"
#include "telemetry/encoding.h"
#include "telemetry/object_traffic.h"

#include <ipc/client.h>
#include <ipc/log.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QThread>

#include <utility>

namespace ipc::telemetry {

namespace {

std::atomic<Reporter *> theReporter{nullptr};
std::mutex creation;

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

Reporter *Reporter::instance(const QString &address)
{
    if (Reporter *existing = theReporter.load(std::memory_order_acquire))
        return existing;
    std::lock_guard<std::mutex> guard(creation);
    if (Reporter *existing = theReporter.load(std::memory_order_relaxed))
        return existing;
    QCoreApplication *app = QCoreApplication::instance();
    if (!app)
        return nullptr;
    // Never deleted: sessions anywhere in the process may hold it until exit.
    auto *reporter = new Reporter(address);
    reporter->moveToThread(app->thread());
    QMetaObject::invokeMethod(reporter, [reporter] { reporter->start(); }, Qt::QueuedConnection);
    theReporter.store(reporter, std::memory_order_release);
    return reporter;
}

Reporter::Reporter(const QString &address)
    : m_address(address)
{
    m_timer.setParent(this);
    connect(&m_timer, &QTimer::timeout, this, &Reporter::flush);
}

void Reporter::start()
{
    ClientConfig config;
    config.monitoring = Monitoring::Off; // its own traffic is not reported
    config.retryTimer = RetryTimer::fixed(std::chrono::milliseconds(500));
    config.writeQueueLimit = 256;
    config.sendWindow.messages = 256;
    m_client = new Client(m_address, config, this);
    connect(m_client, &Client::connected, this, &Reporter::onConnected);
    connect(m_client, &Client::disconnected, this, [this] { m_connected = false; });
    m_timer.start(Interval);
    qCDebug(lcClient).noquote() << "telemetry: reporting to" << m_address;
}

int Reporter::backlog() const
{
    return m_client ? m_client->unconfirmedMessageCount() : 0;
}

void Reporter::onConnected()
{
    m_snapshotDue = true;
    m_connected = true;
    flush();
}

void Reporter::queue(EventType type, const QCborMap &event)
{
    // Without a monitor the snapshot on its arrival restates the endpoints
    // and live connections, so only what it cannot restate is a loss: a
    // refused write. (Connections that ended unseen are counted in flush().)
    if (!m_connected.load(std::memory_order_relaxed)) {
        m_droppedEvents += type == EventType::ConnectionError ? 1 : 0;
        return;
    }
    if (m_events.size() >= MaxQueuedEvents) {
        ++m_droppedEvents;
        return;
    }
    m_events.emplace_back(type, event);
}

bool Reporter::send(EventType type, const QCborMap &event)
{
    if (!m_client || !m_client->isConnected() || !m_client->isWritable())
        return false;
    return m_client->write(qint32(type), event.toCborValue().toCbor());
}

void Reporter::sendSnapshot()
{
    QCborMap hello;
    hello.insert(QLatin1String(Key::Version), FormatVersion);
    hello.insert(QLatin1String(Key::Pid), QCoreApplication::applicationPid());
    // The application's name: its executable's unless it set one.
    hello.insert(QLatin1String(Key::Process), QCoreApplication::applicationName());
    hello.insert(QLatin1String(Key::Library), QString::fromLatin1(libraryVersion()));
    send(EventType::Hello, hello);
    std::lock_guard<std::mutex> guard(m_lock);
    m_events.clear(); // what they said is in the snapshot
    for (const auto &entry : m_endpoints) {
        send(EventType::EndpointUp, entry.second.up);
        if (!entry.second.status.isEmpty()) {
            QCborMap status;
            status.insert(QLatin1String(Key::Endpoint), qint64(entry.first));
            status.insert(QLatin1String(Key::Status), entry.second.status);
            send(EventType::EndpointStatus, status);
        }
    }
    for (auto it = m_connections.begin(); it != m_connections.end();) {
        if (it->second.finished) { // ended before the monitor came: only counted
            it = m_connections.erase(it);
            continue;
        }
        send(EventType::ConnectionOpened, it->second.opened);
        if (!it->second.established.isEmpty())
            send(EventType::ConnectionEstablished, it->second.established);
        it->second.deliveryDue = it->second.delivery.has_value();
        ++it;
    }
}

void Reporter::flush()
{
    const bool connected = m_client && m_client->isConnected();
    m_connected = connected;
    if (connected && m_snapshotDue) {
        m_snapshotDue = false;
        sendSnapshot();
    }
    std::deque<std::pair<EventType, QCborMap>> events;
    QCborArray rows;
    QCborArray samples;
    QCborArray requestRows;
    QCborArray correlations;
    QCborArray deliveryRows;
    quint64 droppedSamples = 0;
    {
        std::lock_guard<std::mutex> guard(m_lock);
        events.swap(m_events);
        for (auto it = m_connections.begin(); it != m_connections.end();) {
            if (connected) {
                const quint64 endpoint = it->second.probe->endpoint();
                it->second.probe->collect(&rows, &samples, &correlations, &droppedSamples, [this, endpoint](quint64 label) {
                    return objectTrafficName(endpoint, label);
                });
                if (std::exchange(it->second.deliveryDue, false))
                    deliveryRows.append(deliveryRow(it->first, *it->second.delivery));
            }
            // Without a monitor a live connection keeps counting in place; an
            // ended one has nobody to tell, which the drop count says.
            if (!it->second.finished) {
                ++it;
                continue;
            }
            m_droppedEvents += connected ? 0 : 1;
            it = m_connections.erase(it);
        }
        if (connected)
            collectRequests(&requestRows);
        for (const quint64 endpoint : m_namesToForget) {
            m_objectNames.erase(endpoint);
            m_objectsTold.erase(endpoint);
        }
        m_namesToForget.clear();
    }
    if (!connected)
        return;
    quint64 droppedEvents = 0;
    for (const auto &event : events)
        droppedEvents += send(event.first, event.second) ? 0 : 1;
    if (!rows.isEmpty()) {
        QCborMap counters;
        counters.insert(QLatin1String(Key::Time), now());
        counters.insert(QLatin1String(Key::Rows), rows);
        droppedEvents += send(EventType::Counters, counters) ? 0 : 1;
    }
    if (!requestRows.isEmpty()) {
        QCborMap requests;
        requests.insert(QLatin1String(Key::Time), now());
        requests.insert(QLatin1String(Key::Rows), requestRows);
        droppedEvents += send(EventType::Requests, requests) ? 0 : 1;
    }
    if (!deliveryRows.isEmpty()) {
        QCborMap delivery;
        delivery.insert(QLatin1String(Key::Time), now());
        delivery.insert(QLatin1String(Key::Rows), deliveryRows);
        droppedEvents += send(EventType::Delivery, delivery) ? 0 : 1;
    }
    if (!samples.isEmpty()) {
        QCborMap sampled;
        sampled.insert(QLatin1String(Key::Time), now());
        sampled.insert(QLatin1String(Key::Rows), samples);
        if (!correlations.isEmpty())
            sampled.insert(QLatin1String(Key::Correlations), correlations);
        if (!send(EventType::MessageSamples, sampled))
            droppedSamples += quint64(samples.size());
    }
    std::lock_guard<std::mutex> guard(m_lock);
    m_droppedEvents += droppedEvents;
    m_droppedSamples += droppedSamples;
    if (m_droppedEvents == 0 && m_droppedSamples == 0)
        return;
    QCborMap dropped;
    dropped.insert(QLatin1String(Key::Samples), qint64(m_droppedSamples));
    dropped.insert(QLatin1String(Key::Events), qint64(m_droppedEvents));
    if (send(EventType::Dropped, dropped))
        m_droppedEvents = m_droppedSamples = 0;
}

void Reporter::endpointOpened(quint64 endpoint, protocol::Role role, const QString &address, Protocol protocol,
                              bool reportPayloads)
{
    QCborMap up;
    up.insert(QLatin1String(Key::Endpoint), qint64(endpoint));
    up.insert(QLatin1String(Key::Role), role == protocol::Role::Server ? QStringLiteral("server")
                                                                       : QStringLiteral("client"));
    up.insert(QLatin1String(Key::Address), address);
    up.insert(QLatin1String(Key::Transport), transportName(address));
    up.insert(QLatin1String(Key::Protocol), protocolName(protocol));
    std::lock_guard<std::mutex> guard(m_lock);
    m_endpoints[endpoint] = Endpoint{up, QString(), reportPayloads};
    queue(EventType::EndpointUp, up);
}

void Reporter::endpointStatusChanged(quint64 endpoint, Status status)
{
    QCborMap event;
    event.insert(QLatin1String(Key::Endpoint), qint64(endpoint));
    event.insert(QLatin1String(Key::Status), statusString(status));
    std::lock_guard<std::mutex> guard(m_lock);
    const auto it = m_endpoints.find(endpoint);
    if (it == m_endpoints.end())
        return;
    it->second.status = statusString(status);
    queue(EventType::EndpointStatus, event);
}

void Reporter::endpointClosed(quint64 endpoint)
{
    QCborMap event;
    event.insert(QLatin1String(Key::Endpoint), qint64(endpoint));
    std::lock_guard<std::mutex> guard(m_lock);
    m_endpoints.erase(endpoint);
    m_namesToForget.push_back(endpoint);
    queue(EventType::EndpointDown, event);
}

void Reporter::objectNamed(quint64 endpoint, const ObjectNames &names)
{
    std::lock_guard<std::mutex> guard(m_lock);
    std::map<quint64, ObjectNames> &known = m_objectNames[endpoint];
    std::deque<quint64> &told = m_objectsTold[endpoint];
    if (known.insert_or_assign(names.handle, names).second)
        told.push_back(names.handle);
    while (told.size() > MaxNamedObjects) {
        known.erase(told.front());
        told.pop_front();
    }
}

QString Reporter::objectTrafficName(quint64 endpoint, quint64 label) const
{
    const ObjectNames *names = nullptr;
    const auto objects = m_objectNames.find(endpoint);
    if (objects != m_objectNames.end()) {
        const auto it = objects->second.find(object_traffic::handleOf(label));
        names = it != objects->second.end() ? &it->second : nullptr;
    }
    return object_traffic::name(label, names);
}

void *Reporter::connectionOpened(const ConnectionFacts &facts)
{
    QCborMap opened;
    opened.insert(QLatin1String(Key::Connection), qint64(facts.id));
    opened.insert(QLatin1String(Key::Endpoint), qint64(facts.endpoint));
    opened.insert(QLatin1String(Key::PeerAddress), facts.peerAddress);
    opened.insert(QLatin1String(Key::PeerPid), facts.peerPid);
    opened.insert(QLatin1String(Key::PeerUid), facts.peerUid);
    std::lock_guard<std::mutex> guard(m_lock);
    const auto endpoint = m_endpoints.find(facts.endpoint);
    const bool payloads = endpoint != m_endpoints.end() && endpoint->second.reportPayloads;
    Connection &connection = m_connections[facts.id];
    connection.probe = std::make_unique<Probe>(facts.id, facts.endpoint, payloads);
    connection.opened = opened;
    queue(EventType::ConnectionOpened, opened);
    return connection.probe.get();
}

void Reporter::connectionEstablished(void *context, Protocol protocol, const PeerInfo &peer,
                                     const EncryptionInfo &encryption)
{
    const quint64 id = static_cast<Probe *>(context)->id();
    QCborMap event;
    event.insert(QLatin1String(Key::Connection), qint64(id));
    event.insert(QLatin1String(Key::Protocol), protocolName(protocol));
    event.insert(QLatin1String(Key::PeerPid), peer.pid);
    event.insert(QLatin1String(Key::PeerProcess), peer.processName);
    event.insert(QLatin1String(Key::Encryption), encryption.protocol);
    event.insert(QLatin1String(Key::Security), securityName(encryption.level));
    event.insert(QLatin1String(Key::HandshakeHash), QString::fromLatin1(encryption.handshakeHash.left(8).toHex()));
    std::lock_guard<std::mutex> guard(m_lock);
    m_connections[id].established = event;
    queue(EventType::ConnectionEstablished, event);
}

void Reporter::errorOccurred(void *context, Error error, const QString &reason)
{
    QCborMap event;
    event.insert(QLatin1String(Key::Connection), qint64(static_cast<Probe *>(context)->id()));
    event.insert(QLatin1String(Key::Error), errorName(error));
    event.insert(QLatin1String(Key::Reason), reason);
    std::lock_guard<std::mutex> guard(m_lock);
    queue(EventType::ConnectionError, event);
}

void Reporter::connectionFinished(void *context, Error error, const QString &reason)
{
    const quint64 id = static_cast<Probe *>(context)->id();
    QCborMap event;
    event.insert(QLatin1String(Key::Connection), qint64(id));
    event.insert(QLatin1String(Key::Error), errorName(error));
    event.insert(QLatin1String(Key::Reason), reason);
    std::lock_guard<std::mutex> guard(m_lock);
    // Its last counts go out with the next collection, after this event.
    m_connections[id].finished = true;
    queue(EventType::ConnectionClosed, event);
}

void Reporter::deliveryChanged(void *context, const DeliveryState &state)
{
    const quint64 id = static_cast<Probe *>(context)->id();
    std::lock_guard<std::mutex> guard(m_lock);
    const auto it = m_connections.find(id);
    if (it == m_connections.end() || it->second.delivery == state)
        return;
    it->second.delivery = state;
    it->second.deliveryDue = true;
}

// Current values and running totals, not deltas: a row lost with a dropped
// event leaves nothing wrong behind.
QCborArray Reporter::deliveryRow(quint64 connection, const DeliveryState &state)
{
    const DeliveryLedger::Totals &totals = state.totals;
    return QCborArray{qint64(connection), state.unconfirmed, state.unconfirmedBytes, state.windowMessages,
                      state.windowBytes, state.queued, state.queuedBytes, state.socketBytes,
                      qint64(totals.refused), qint64(totals.backPressure), qint64(totals.resumptions),
                      qint64(totals.resent), qint64(totals.handedBack), totals.writable, state.acknowledging,
                      state.resumed};
}

quint64 Reporter::requestLabel(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    return tag.kind == wire::Correlation::Object ? object_traffic::label(type, data) : 0;
}

void Reporter::requestEnded(quint64 endpoint, quint64 peer, qint32 type, quint64 label, RequestOutcome outcome,
                            qint64 nanoseconds)
{
    const quint64 micros = quint64(qMax<qint64>(nanoseconds, 0)) / 1000;
    RequestKey key{endpoint, peer, type, label, outcome};
    std::lock_guard<std::mutex> guard(m_lock);
    auto it = m_requests.find(key);
    if (it == m_requests.end()) {
        if (m_requests.size() >= MaxRequestRows) // many peers or types cannot make this grow: 5 rows more at most
            key = RequestKey{0, 0, 0, 0, outcome};
        it = m_requests.try_emplace(key).first;
    }
    RequestTimes &times = it->second;
    ++times.count;
    times.sumMicros += micros;
    times.maxMicros = qMax(times.maxMicros, micros);
    ++times.buckets[std::size_t(latencyBucket(micros))];
}

// Rows of what ended since the last collection: counts, the sum and the
// largest duration, and the buckets that are not empty, as [bucket, count]
// pairs in one flat array.
void Reporter::collectRequests(QCborArray *rows)
{
    for (const auto &[key, times] : m_requests) {
        QCborArray buckets;
        for (int i = 0; i < LatencyBuckets; ++i) {
            if (times.buckets[std::size_t(i)] != 0) {
                buckets.append(i);
                buckets.append(qint64(times.buckets[std::size_t(i)]));
            }
        }
        QCborArray row{qint64(key.endpoint), qint64(key.peer), key.type, int(key.outcome), qint64(times.count),
                       qint64(times.sumMicros), qint64(times.maxMicros), buckets};
        if (key.label != 0)
            row.append(objectTrafficName(key.endpoint, key.label));
        rows->append(row);
    }
    m_requests.clear();
}

} // namespace ipc::telemetry
