// The telemetry reporter: the SessionObserver endpoints with monitoring on
// report to. It keeps what the monitor needs to know of the process (live
// endpoints and connections) and each connection's Probe, and a few times a
// second sends the monitor what changed, as a libipc Client of the
// monitor's address. It never blocks a session and never grows without
// bound: without a monitor, or with one that does not keep up, it goes on
// counting, drops samples and events, and says how many it dropped; a
// monitor that (re)appears first gets a snapshot of the current state.
#pragma once

#include "session_observer.h"
#include "telemetry/probe.h"

#include <ipc/telemetry.h>

#include <QCborMap>
#include <QObject>
#include <QTimer>

#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

namespace ipc {
class Client;
}

namespace ipc::telemetry {

class Reporter : public QObject, public SessionObserver
{
    Q_OBJECT

public:
    // The process's reporter, created on first use; it lives in the
    // application's thread, for the life of the process. Null without a
    // QCoreApplication. The address of the first call stays.
    static Reporter *instance(const QString &address);

    static constexpr std::chrono::milliseconds Interval{250};
    static constexpr std::size_t MaxQueuedEvents = 4096;

    QString address() const { return m_address; }
    // Collects and sends what changed (the reporter's thread).
    void flush();
    // For tests, in the reporter's thread: whether a monitor listens, and
    // how many events wait in the connection to it.
    bool isConnected() const { return m_connected; }
    int backlog() const;

    void endpointOpened(quint64 endpoint, protocol::Role role, const QString &address, Protocol protocol,
                        bool reportPayloads) override;
    void endpointStatusChanged(quint64 endpoint, Status status) override;
    void endpointClosed(quint64 endpoint) override;
    void *connectionOpened(const ConnectionFacts &facts) override;
    void connectionEstablished(void *context, Protocol protocol, const PeerInfo &peer,
                               const EncryptionInfo &encryption) override;
    void messageReceived(void *context, qint32 type, const QByteArray &data, const wire::Correlation &tag) override
    {
        static_cast<Probe *>(context)->record(Direction::Received, type, data, tag);
    }
    void messageSent(void *context, qint32 type, const QByteArray &data, const wire::Correlation &tag) override
    {
        static_cast<Probe *>(context)->record(Direction::Sent, type, data, tag);
    }
    void errorOccurred(void *context, Error error, const QString &reason) override;
    void connectionFinished(void *context, Error error, const QString &reason) override;
    void deliveryChanged(void *context, const DeliveryState &state) override;
    void objectNamed(quint64 endpoint, const ObjectNames &names) override;
    quint64 requestLabel(qint32 type, const QByteArray &data, const wire::Correlation &tag) override;
    void requestEnded(quint64 endpoint, quint64 peer, qint32 type, quint64 label, RequestOutcome outcome,
                      qint64 nanoseconds) override;

    // Object names kept per endpoint; beyond this the oldest go.
    static constexpr std::size_t MaxNamedObjects = 256;
    // Request rows (endpoint, peer, type, member, outcome) held between two
    // collections; beyond this, requests are folded into one row per
    // outcome under endpoint, peer and type 0.
    static constexpr std::size_t MaxRequestRows = 512;

private:
    explicit Reporter(const QString &address);
    void start();
    void onConnected();
    void queue(EventType type, const QCborMap &event); // under m_lock
    bool send(EventType type, const QCborMap &event);
    void sendSnapshot();
    QString objectTrafficName(quint64 endpoint, quint64 label) const; // under m_lock

    struct Endpoint
    {
        QCborMap up;
        QString status;
        bool reportPayloads = false;
    };
    struct RequestKey
    {
        quint64 endpoint = 0;
        quint64 peer = 0;
        qint32 type = 0;
        quint64 label = 0;
        RequestOutcome outcome = RequestOutcome::Reply;
        bool operator<(const RequestKey &other) const
        {
            return std::tie(endpoint, peer, type, label, outcome)
                < std::tie(other.endpoint, other.peer, other.type, other.label, other.outcome);
        }
    };
    struct RequestTimes
    {
        quint64 count = 0;
        quint64 sumMicros = 0;
        quint64 maxMicros = 0;
        std::array<quint64, LatencyBuckets> buckets{};
    };
    void collectRequests(QCborArray *rows); // under m_lock

    struct Connection
    {
        std::unique_ptr<Probe> probe;
        QCborMap opened;
        QCborMap established;
        bool finished = false;
        std::optional<DeliveryState> delivery;
        bool deliveryDue = false; // changed since the monitor last heard it
    };
    static QCborArray deliveryRow(quint64 connection, const DeliveryState &state);

    const QString m_address;
    Client *m_client = nullptr; // created in the reporter's thread
    QTimer m_timer;
    std::atomic<bool> m_connected{false};
    bool m_snapshotDue = false;

    std::mutex m_lock; // everything below: sessions call from their threads
    std::map<quint64, Endpoint> m_endpoints;
    std::map<quint64, Connection> m_connections;
    // Per endpoint: its objects' names by handle, in the order told.
    std::map<quint64, std::map<quint64, ObjectNames>> m_objectNames;
    std::map<quint64, std::deque<quint64>> m_objectsTold;
    std::vector<quint64> m_namesToForget; // endpoints closed: after their last counts
    std::deque<std::pair<EventType, QCborMap>> m_events;
    std::map<RequestKey, RequestTimes> m_requests; // since the last collection
    quint64 m_droppedEvents = 0;
    quint64 m_droppedSamples = 0;
};

} // namespace ipc::telemetry
