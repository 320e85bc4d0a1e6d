// What the monitor knows: processes, their endpoints and connections, with
// totals, rates and per-type statistics, built from telemetry events
// (docs/TELEMETRY.md). No widgets here: the views read it, the tests drive it.
#pragma once

#include "delivery_state.h"
#include "latency.h"

#include <ipc/telemetry.h>

#include <QCborMap>
#include <QCborValue>
#include <QColor>
#include <QObject>
#include <QString>

#include <deque>
#include <map>
#include <optional>
#include <tuple>

namespace monitor {

// A telemetry key (ipc::telemetry::Key) as the QString a QCborMap is read with.
inline QString key(const char *name)
{
    return QLatin1String(name);
}

using ipc::telemetry::EventType;

// How a connection is protected, weakest first, as the views colour it.
enum class Security { Unknown, Plain, Weak, Encrypted, Authenticated };
Security securityFromName(const QString &name);
QString securityLabel(Security security);
QColor securityColor(Security security);

struct Totals
{
    quint64 count = 0;
    quint64 bytes = 0;
    void add(quint64 n, quint64 b)
    {
        count += n;
        bytes += b;
    }
};

// Something that went wrong on a connection: a refused write, or its end.
struct ConnectionIncident
{
    qint64 time = 0; // when the monitor heard of it, ms since the epoch
    QString error;   // ipc::Error's name; empty for an orderly end
    QString reason;
    bool closed = false;
};

struct ConnectionState
{
    static constexpr std::size_t MaxIncidents = 50;
    quint64 id = 0;
    quint64 endpoint = 0;
    QString peerAddress;
    qint64 peerPid = -1;
    qint64 peerUid = -1;
    QString peerProcess;
    QString protocol;
    QString encryption;
    Security security = Security::Unknown;
    QString handshakeHash;
    bool established = false;
    bool closed = false;
    QString error;
    QString reason;
    Totals received;
    Totals sent;
    double receivedRate = 0; // messages per second, over the last second
    double sentRate = 0;
    std::deque<ConnectionIncident> incidents; // oldest first, at most MaxIncidents
    DeliveryInfo delivery;
};

struct EndpointState
{
    quint64 id = 0;
    QString role;
    QString address;
    QString transport;
    QString protocol;
    QString status;
    bool down = false;
};

struct ProcessState
{
    qint64 pid = 0;
    QString name;
    QString library;
    bool gone = false; // its reporter disconnected
    std::map<quint64, EndpointState> endpoints;
    std::map<quint64, ConnectionState> connections;
};

// What the views group messages by: the application's type, or for
// remote-object traffic its object and member ("thermostat.setTarget(double)").
struct TypeKey
{
    qint32 type = 0;
    QString name; // empty for the application's own messages
    TypeKey(qint32 type = 0, QString name = QString()) // NOLINT: a number is a key
        : type(type)
        , name(std::move(name))
    {
    }
    bool operator<(const TypeKey &other) const
    {
        return name != other.name ? name < other.name : type < other.type;
    }
    bool operator==(const TypeKey &other) const { return type == other.type && name == other.name; }
    // How the views show it: the name, else the type's number.
    QString label() const { return name.isEmpty() ? QString::number(type) : name; }
};

// Per message type, over every connection.
struct TypeStats
{
    qint32 type = 0;
    QString name;
    Totals received; // as the receiving ends report them
    Totals sent;     // as the sending ends do
    quint64 minSize = 0;
    quint64 maxSize = 0;
    // Messages of this type seen: a message whose two ends both report counts once.
    quint64 count() const { return qMax(received.count, sent.count); }
    quint64 bytes() const { return qMax(received.bytes, sent.bytes); }
    double rate = 0;             // messages per second, over the last second
    std::deque<double> history;  // rate per second, oldest first, at most HistorySeconds
};

// Who made requests of a type: a process's endpoint, to a peer (a
// client's id on a server, 0 on a client: its connection).
struct LatencyKey
{
    qint64 pid = 0;
    quint64 endpoint = 0;
    quint64 peer = 0;
    TypeKey type;
    bool operator<(const LatencyKey &other) const
    {
        return std::tie(pid, endpoint, peer, type) < std::tie(other.pid, other.endpoint, other.peer, other.type);
    }
};

// One sampled message, for the log.
struct LoggedMessage
{
    qint64 time = 0;
    qint64 pid = 0;
    QString process;
    quint64 connection = 0;
    quint64 endpoint = 0;
    QString endpointAddress;
    QString peer;
    ipc::telemetry::Direction direction = ipc::telemetry::Direction::Received;
    qint32 type = 0;
    QString name; // remote-object traffic: object and member
    quint64 size = 0;
    QByteArray payload;
    bool payloadReported = false;
    QCborValue arguments; // remote-object traffic, when payloads are reported
    qint64 peerPid = -1;  // the peer process, when known
    // A request, a reply or an object call: its kind (wire control kind 7,
    // 8, 9 or 11) and the requester's id for it, which its answer repeats.
    int correlationKind = 0;
    quint64 correlationId = 0;
    TypeKey key() const { return TypeKey(type, name); }
};

class Traffic : public QObject
{
    Q_OBJECT

public:
    static constexpr int HistorySeconds = 60;
    // Latency rows kept (process, endpoint, peer, type); about 1.3 KiB each.
    static constexpr std::size_t MaxLatencyKeys = 4096;

    explicit Traffic(QObject *parent = nullptr);

    // One event from the reporter `source` (a collector connection, or a
    // recording's source id).
    void apply(quint64 source, EventType type, const QCborMap &event);
    // The reporter went away: its process is shown as gone.
    void sourceGone(quint64 source);
    // Once a second: rates and history from what arrived since the last tick.
    void tick();
    // Closed connections, gone processes and down endpoints forgotten, with
    // their latency; totals kept.
    void clearClosed();

    const std::map<qint64, ProcessState> &processes() const { return m_processes; }
    const std::map<TypeKey, TypeStats> &types() const { return m_types; }
    const std::map<LatencyKey, LatencyStats> &latency() const { return m_latency; }
    // Requests per type: of every process, of one, or of one connection of
    // it (a server's to that client, a client's on it).
    std::map<TypeKey, LatencyStats> latencyByType(std::optional<qint64> pid = std::nullopt,
                                                  std::optional<quint64> connection = std::nullopt) const;
    const ProcessState *processOf(quint64 source) const;
    quint64 droppedSamples() const { return m_droppedSamples; }
    quint64 droppedEvents() const { return m_droppedEvents; }
    quint64 eventCount() const { return m_events; }

Q_SIGNALS:
    // Sampled messages, in arrival order, for the log.
    void messagesLogged(const QList<monitor::LoggedMessage> &messages);
    // Anything changed: views refresh on their own timer.
    void changed();

private:
    ProcessState *process(quint64 source);
    void applyCounters(ProcessState &process, const QCborMap &event);
    void applySamples(ProcessState &process, const QCborMap &event);
    void applyRequests(const ProcessState &process, const QCborMap &event);
    void applyDelivery(ProcessState &process, const QCborMap &event);

    std::map<quint64, qint64> m_sourcePid;
    std::map<qint64, ProcessState> m_processes;
    std::map<TypeKey, TypeStats> m_types;
    std::map<LatencyKey, LatencyStats> m_latency;
    std::map<TypeKey, quint64> m_typeCountAtTick;
    std::map<std::pair<qint64, quint64>, std::pair<quint64, quint64>> m_connectionCountAtTick;
    quint64 m_droppedSamples = 0;
    quint64 m_droppedEvents = 0;
    quint64 m_events = 0;
};

} // namespace monitor

Q_DECLARE_METATYPE(monitor::LoggedMessage)
