// Telemetry from real Servers and Clients to a collector: exact counts, the
// connection facts, payloads only when asked, a monitor that starts late,
// and one that stalls (the application goes on; the reporter stays bounded
// and reports what it dropped).
#include "cuttingproxy.h"
#include "peerprocess.h"
#include "telemetry/reporter.h"
#include "testnames.h"

#include "transport/capabilities.h"
#include <ipc/client.h>
#include <ipc/replica.h>
#include <ipc/server.h>
#include <ipc/telemetry.h>

#include <QCborArray>
#include <QtTest>

#include <csignal>
#include <map>
#include <set>
#include <tuple>

#include <unistd.h>

using namespace std::chrono_literals;
using namespace ipc;
using namespace ipc::telemetry;

namespace {

QString key(const char *name)
{
    return QLatin1String(name);
}

// What a monitor would be: a Server that never reports itself, keeping
// every event it hears.
class Collector
{
public:
    explicit Collector(const QString &address)
        : m_server(address, config())
    {
        QObject::connect(&m_server, &Server::messageReceived, &m_server, [this](const Message &m) {
            events.append({EventType(m.type), decodeEvent(m.data)});
        });
    }
    bool listen() { return m_server.listen(); }

    QList<QPair<EventType, QCborMap>> events;

    QList<QCborMap> ofType(EventType type) const
    {
        QList<QCborMap> found;
        for (const auto &event : events) {
            if (event.first == type)
                found.append(event.second);
        }
        return found;
    }
    // Counter totals: (connection, direction, type) -> (count, bytes, min, max).
    using Row = std::tuple<qint64, qint64, qint64, qint64>;
    std::map<std::tuple<qint64, int, int>, Row> totals() const
    {
        std::map<std::tuple<qint64, int, int>, Row> sums;
        for (const QCborMap &counters : ofType(EventType::Counters)) {
            for (const QCborValue &value : counters.value(key(Key::Rows)).toArray()) {
                const QCborArray row = value.toArray();
                Row &sum = sums[{row.at(0).toInteger(), int(row.at(1).toInteger()), int(row.at(2).toInteger())}];
                const bool first = std::get<0>(sum) == 0;
                std::get<0>(sum) += row.at(3).toInteger();
                std::get<1>(sum) += row.at(4).toInteger();
                std::get<2>(sum) = first ? row.at(5).toInteger() : qMin(std::get<2>(sum), row.at(5).toInteger());
                std::get<3>(sum) = qMax(std::get<3>(sum), row.at(6).toInteger());
            }
        }
        return sums;
    }
    Row total(qint64 connection, int direction, int type) const
    {
        const auto sums = totals();
        const auto it = sums.find(std::make_tuple(connection, direction, type));
        return it == sums.end() ? Row() : it->second;
    }
    // Requests rows added up: (endpoint, peer, type, outcome, name) ->
    // count, sum and largest duration, and the histogram.
    struct Ended
    {
        qint64 count = 0;
        qint64 sumMicros = 0;
        qint64 maxMicros = 0;
        std::map<int, qint64> buckets;
    };
    using EndedKey = std::tuple<qint64, qint64, int, int, QString>;
    std::map<EndedKey, Ended> requests() const
    {
        std::map<EndedKey, Ended> sums;
        for (const QCborMap &event : ofType(EventType::Requests)) {
            for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
                const QCborArray row = value.toArray();
                Ended &sum = sums[{row.at(0).toInteger(), row.at(1).toInteger(), int(row.at(2).toInteger()),
                                   int(row.at(3).toInteger()), row.size() > 8 ? row.at(8).toString() : QString()}];
                sum.count += row.at(4).toInteger();
                sum.sumMicros += row.at(5).toInteger();
                sum.maxMicros = qMax(sum.maxMicros, row.at(6).toInteger());
                const QCborArray pairs = row.at(7).toArray();
                for (qsizetype i = 0; i + 1 < pairs.size(); i += 2)
                    sum.buckets[int(pairs.at(i).toInteger())] += pairs.at(i + 1).toInteger();
            }
        }
        return sums;
    }
    // Requests of `type` (or the member `name`) that ended with `outcome`, from any endpoint.
    Ended ended(int type, RequestOutcome outcome, const QString &name = QString()) const
    {
        Ended total;
        for (const auto &[k, sum] : requests()) {
            if (std::get<2>(k) != type || std::get<3>(k) != int(outcome) || std::get<4>(k) != name)
                continue;
            total.count += sum.count;
            total.sumMicros += sum.sumMicros;
            total.maxMicros = qMax(total.maxMicros, sum.maxMicros);
            for (const auto &[bucket, n] : sum.buckets)
                total.buckets[bucket] += n;
        }
        return total;
    }
    // The Delivery rows of one connection, oldest first.
    QList<QCborArray> delivery(qint64 connection) const
    {
        QList<QCborArray> rows;
        for (const QCborMap &event : ofType(EventType::Delivery)) {
            for (const QCborValue &value : event.value(key(Key::Rows)).toArray()) {
                if (value.toArray().at(0).toInteger() == connection)
                    rows.append(value.toArray());
            }
        }
        return rows;
    }
    // The last Delivery row of every connection.
    std::map<qint64, QCborArray> latestDelivery() const
    {
        std::map<qint64, QCborArray> latest;
        for (const QCborMap &event : ofType(EventType::Delivery)) {
            for (const QCborValue &value : event.value(key(Key::Rows)).toArray())
                latest[value.toArray().at(0).toInteger()] = value.toArray();
        }
        return latest;
    }
    qint64 droppedSamples() const
    {
        qint64 total = 0;
        for (const QCborMap &dropped : ofType(EventType::Dropped))
            total += dropped.value(key(Key::Samples)).toInteger();
        return total;
    }
    qint64 droppedEvents() const
    {
        qint64 total = 0;
        for (const QCborMap &dropped : ofType(EventType::Dropped))
            total += dropped.value(key(Key::Events)).toInteger();
        return total;
    }

private:
    static ServerConfig config()
    {
        ServerConfig config;
        config.monitoring = Monitoring::Off;
        return config;
    }
    Server m_server;
};

const QString monitorAddress = uniqueName("monitor");

// A source whose traffic the monitor should show by name.
class Thermostat : public QObject
{
    Q_OBJECT
    Q_PROPERTY(double target READ target WRITE setTarget NOTIFY targetChanged)

public:
    double target() const { return m_target; }
    void setTarget(double target)
    {
        m_target = target;
        Q_EMIT targetChanged(target);
    }
    Q_INVOKABLE double raise(double by)
    {
        setTarget(m_target + by);
        return m_target;
    }

Q_SIGNALS:
    void targetChanged(double target);

private:
    double m_target = 20;
};

// Each sampled row that carries a name: name -> its rows.
QMultiMap<QString, QCborArray> namedSamples(const Collector &collector)
{
    QMultiMap<QString, QCborArray> named;
    for (const QCborMap &samples : collector.ofType(EventType::MessageSamples)) {
        for (const QCborValue &value : samples.value(key(Key::Rows)).toArray()) {
            const QCborArray row = value.toArray();
            if (row.size() > 6)
                named.insert(row.at(6).toString(), row);
        }
    }
    return named;
}

} // namespace

class TestTelemetry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Before any endpoint exists: every one below reports here.
        qputenv("IPC_MONITOR", monitorAddress.toUtf8());
        QCOMPARE(monitorAddressFromEnvironment(), monitorAddress);
    }

    // A monitor that starts after the application: within a couple of
    // seconds it has the process, its live endpoints and connections, and
    // how many samples went unreported meanwhile.
    void monitorStartedLater()
    {
        const QString name = uniqueName("late");
        Server server(name);
        QVERIFY(server.listen());
        Client client(name);
        QVERIFY(client.waitForConnected(30s));
        for (int i = 0; i < 200; ++i)
            QVERIFY(client.write(1, "before the monitor"));
        QVERIFY(client.waitForDelivered(30s)); // beyond the samples a connection keeps: dropped

        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);
        const QCborMap hello = collector.ofType(EventType::Hello).first();
        QCOMPARE(hello.value(key(Key::Version)).toInteger(), FormatVersion);
        QCOMPARE(hello.value(key(Key::Pid)).toInteger(), QCoreApplication::applicationPid());
        QTRY_VERIFY_WITH_TIMEOUT(collector.droppedSamples() > 0, 10000);
        QStringList roles;
        for (const QCborMap &up : collector.ofType(EventType::EndpointUp))
            roles << up.value(key(Key::Role)).toString();
        QVERIFY(roles.contains(QStringLiteral("server")));
        QVERIFY(roles.contains(QStringLiteral("client")));
        QCOMPARE(collector.ofType(EventType::ConnectionEstablished).size(), 2); // both ends of one connection
    }

    // Counts are exact, per connection, direction and type; the connection
    // facts say who the peer is and how the connection is protected.
    void countsAreExact()
    {
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);

        const QString name = uniqueName("counted");
        Server server(name);
        QVERIFY(server.listen());
        connect(&server, &Server::messageReceived, &server, [&](const Message &m) {
            if (m.type == 1)
                server.write(m.clientId, 1, m.data);
        });
        Client client(name);
        QVERIFY(client.waitForConnected(30s));
        for (int i = 0; i < 100; ++i)
            QVERIFY(client.write(1, QByteArray(10, 'a')));
        for (int i = 0; i < 50; ++i)
            QVERIFY(client.write(2, QByteArray(1000 + i, 'b')));
        QVERIFY(client.waitForDelivered(30s));
        QTRY_COMPARE_WITH_TIMEOUT(server.unconfirmedMessageCount(server.clientIds().first()), 0, 30000);
        const quint64 serverSide = server.clientIds().first();

        // The client's connection: the one whose opened event is not the server's.
        qint64 clientSide = 0;
        QTRY_VERIFY_WITH_TIMEOUT(collector.ofType(EventType::ConnectionOpened).size() >= 2, 10000);
        for (const QCborMap &opened : collector.ofType(EventType::ConnectionOpened)) {
            if (opened.value(key(Key::Connection)).toInteger() != qint64(serverSide))
                clientSide = opened.value(key(Key::Connection)).toInteger();
            else if (transport::hasPeerCredentials()) { // a local socket: the kernel names the peer
                QCOMPARE(opened.value(key(Key::PeerPid)).toInteger(), QCoreApplication::applicationPid());
                QCOMPARE(opened.value(key(Key::PeerUid)).toInteger(), qint64(::getuid()));
            } else { // the portable transport: nobody says
                QCOMPARE(opened.value(key(Key::PeerPid)).toInteger(), -1);
                QCOMPARE(opened.value(key(Key::PeerUid)).toInteger(), -1);
            }
        }
        QVERIFY(clientSide != 0);
        using Row = Collector::Row;
        const int in = int(Direction::Received);
        const int out = int(Direction::Sent);
        QTRY_VERIFY_WITH_TIMEOUT(collector.total(qint64(serverSide), out, 1) == Row(100, 1000, 10, 10), 10000);
        QCOMPARE(collector.total(qint64(serverSide), in, 1), Row(100, 1000, 10, 10));
        QCOMPARE(collector.total(qint64(serverSide), in, 2), Row(50, 50 * 1000 + 49 * 50 / 2, 1000, 1049));
        QCOMPARE(collector.total(clientSide, out, 2), Row(50, 50 * 1000 + 49 * 50 / 2, 1000, 1049));
        QTRY_VERIFY_WITH_TIMEOUT(collector.total(clientSide, in, 1) == Row(100, 1000, 10, 10), 10000);

        for (const QCborMap &established : collector.ofType(EventType::ConnectionEstablished)) {
            QCOMPARE(established.value(key(Key::Security)).toString(), QStringLiteral("encrypted"));
            QCOMPARE(established.value(key(Key::Encryption)).toString(),
                     QStringLiteral("Noise_NN_25519_AESGCM_SHA256"));
            QCOMPARE(established.value(key(Key::HandshakeHash)).toString().size(), 16);
        }
        // No payload unless an endpoint asks: samples carry five fields.
        const QList<QCborMap> sampled = collector.ofType(EventType::MessageSamples);
        QVERIFY(!sampled.isEmpty());
        for (const QCborMap &samples : sampled) {
            for (const QCborValue &row : samples.value(key(Key::Rows)).toArray())
                QCOMPARE(row.toArray().size(), 5);
        }

        client.close();
        QTRY_VERIFY_WITH_TIMEOUT(collector.ofType(EventType::ConnectionClosed).size() >= 2, 10000);
    }

    // reportPayloads adds each sampled message's first 64 bytes.
    void payloadsOnlyWhenAsked()
    {
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);
        const QString name = uniqueName("payloads");
        ServerConfig config;
        config.reportPayloads = true;
        Server server(name, config);
        QVERIFY(server.listen());
        Client client(name);
        const QByteArray secret = QByteArray("visible ") + QByteArray(100, 'p');
        QVERIFY(client.write(7, secret));
        QVERIFY(client.waitForDelivered(30s));
        QByteArray seen;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QCborMap &samples : collector.ofType(EventType::MessageSamples)) {
                    for (const QCborValue &row : samples.value(key(Key::Rows)).toArray()) {
                        if (row.toArray().size() == 6)
                            seen = row.toArray().at(5).toByteArray();
                    }
                }
                return !seen.isEmpty();
            }(),
            10000);
        QCOMPARE(seen, secret.left(Probe::PayloadPreview));
    }

    // Remote-object traffic is counted and sampled under its object and
    // member names, on both ends, and each answer under its call's name;
    // with payloads reported the samples carry the decoded arguments.
    void objectTrafficByName()
    {
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        const QString name = uniqueName("named");
        ServerConfig config;
        config.reportPayloads = true;
        Server server(name, config);
        Thermostat thermostat;
        QVERIFY(server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(server.listen()); // the process's reporter exists from here
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);
        Client client(name);
        std::unique_ptr<DynamicReplica> replica(client.acquireDynamic(QStringLiteral("thermostat")));
        QTRY_COMPARE_WITH_TIMEOUT(replica->state(), Replica::State::Valid, 30000);
        QFuture<QVariant> raised = replica->call(QStringLiteral("raise"), {1.5});
        QTRY_VERIFY_WITH_TIMEOUT(raised.isFinished(), 30000);
        QCOMPARE(raised.result().toDouble(), 21.5);
        // The source refuses an argument it cannot read: an error reply.
        QFuture<QVariant> refused = replica->call(QStringLiteral("raise"), {QStringLiteral("not a number")});
        QTRY_VERIFY_WITH_TIMEOUT(refused.isFinished(), 30000);
        QVERIFY_THROWS_EXCEPTION(RemoteCallError, refused.result());
        for (int i = 0; i < 3; ++i)
            thermostat.setTarget(30 + i);
        QTRY_COMPARE_WITH_TIMEOUT(replica->value(QStringLiteral("target")).toDouble(), 32.0, 30000);

        // Counter rows: [connection, direction, type, count, bytes, min, max, name].
        const auto countOf = [&](int direction, const QString &member) {
            qint64 count = 0;
            for (const QCborMap &counters : collector.ofType(EventType::Counters)) {
                for (const QCborValue &value : counters.value(key(Key::Rows)).toArray()) {
                    const QCborArray row = value.toArray();
                    if (row.size() == 8 && row.at(1).toInteger() == direction && row.at(7).toString() == member)
                        count += row.at(3).toInteger();
                }
            }
            return count;
        };
        const int in = int(Direction::Received);
        const int out = int(Direction::Sent);
        const QString changed = QStringLiteral("thermostat.targetChanged(double)");
        const QString raise = QStringLiteral("thermostat.raise(double)");
        // raise() emits once, then three more: four emissions, each counted by both ends.
        QTRY_COMPARE_WITH_TIMEOUT(countOf(out, changed), 4, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(in, changed), 4, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(out, raise), 2, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(in, raise), 2, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(out, raise + QStringLiteral(" reply")), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(in, raise + QStringLiteral(" reply")), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(out, raise + QStringLiteral(" error reply")), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(in, raise + QStringLiteral(" error reply")), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(out, QStringLiteral("(acquire)")), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(countOf(in, QStringLiteral("(acquire) reply")), 1, 10000);

        // The server reports payloads: its samples decode the arguments.
        QTRY_VERIFY_WITH_TIMEOUT(namedSamples(collector).contains(raise), 10000);
        const qint64 serverSide = qint64(server.clientIds().first());
        bool sawCall = false;
        for (const QCborArray &row : namedSamples(collector).values(raise)) {
            if (row.at(1).toInteger() != serverSide)
                continue;
            QCOMPARE(row.size(), 8);
            QVERIFY(row.at(5).isByteArray()); // the payload preview
            sawCall = sawCall || row.at(7).toArray() == QCborArray{1.5};
        }
        QVERIFY(sawCall);
        QTRY_VERIFY_WITH_TIMEOUT(namedSamples(collector).contains(raise + QStringLiteral(" error reply")), 10000);
        for (const QCborArray &row : namedSamples(collector).values(raise + QStringLiteral(" error reply"))) {
            if (row.at(1).toInteger() == serverSide)
                QVERIFY2(row.at(7).toString().contains(QStringLiteral("raise")), qPrintable(row.at(7).toString()));
        }
        bool sawEmission = false;
        for (const QCborArray &row : namedSamples(collector).values(changed)) {
            if (row.at(1).toInteger() == serverSide && row.at(7).toArray() == QCborArray{32.0})
                sawEmission = true;
            if (row.at(1).toInteger() != serverSide) { // the client does not report payloads
                QCOMPARE(row.size(), 7);
                QVERIFY(row.at(5).isNull());
            }
        }
        QVERIFY(sawEmission);
    }

    // Every request and object call an endpoint makes ends in the Requests
    // rows once, by outcome, with its duration in the right bucket: a
    // handler that answers after 60 ms, error replies, timeouts, a
    // connection that ends first, and an object call by its member's name.
    void requestOutcomesAndDurations()
    {
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        const QString name = uniqueName("timed");
        Server server(name);
        Thermostat thermostat;
        QVERIFY(server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(server.listen());
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);
        connect(&server, &Server::messageReceived, &server, [&](const Message &m) {
            if (m.type == 1) // a slow handler
                QTimer::singleShot(60ms, &server, [&server, m] { server.reply(m, 1, m.data); });
            else if (m.type == 2)
                server.replyError(m, 7, QStringLiteral("no"));
            else if (m.type == 4)
                server.reply(m, 4, m.data);
            // type 3 is never answered
        });
        Client client(name);
        QVERIFY(client.waitForConnected(30s));
        QList<QFuture<Reply>> replies;
        for (int i = 0; i < 5; ++i)
            replies << client.request(1, "slow", 30s);
        for (int i = 0; i < 3; ++i)
            replies << client.request(2, "refused", 30s);
        for (int i = 0; i < 2; ++i)
            replies << client.request(3, "unanswered", 100ms);
        for (int i = 0; i < 10; ++i)
            replies << client.request(4, "quick", 30s);
        std::unique_ptr<DynamicReplica> replica(client.acquireDynamic(QStringLiteral("thermostat")));
        QTRY_COMPARE_WITH_TIMEOUT(replica->state(), Replica::State::Valid, 30000);
        QFuture<QVariant> raised = replica->call(QStringLiteral("raise"), {1.5});
        for (const QFuture<Reply> &reply : replies)
            QTRY_VERIFY_WITH_TIMEOUT(reply.isFinished(), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(raised.isFinished(), 30000);

        // The server's request to a client that leaves before answering.
        QTRY_COMPARE_WITH_TIMEOUT(server.clientIds().size(), 1, 30000);
        const quint64 clientId = server.clientIds().first();
        QFuture<Reply> abandoned = server.request(clientId, 5, "are you there", 30s);
        replica.reset();
        client.close();
        QTRY_VERIFY_WITH_TIMEOUT(abandoned.isFinished(), 30000);

        QTRY_COMPARE_WITH_TIMEOUT(collector.ended(1, RequestOutcome::Reply).count, 5, 10000);
        const Collector::Ended slow = collector.ended(1, RequestOutcome::Reply);
        QVERIFY2(slow.buckets.begin()->first >= latencyBucket(60000), "a 60 ms answer counted as faster");
        QVERIFY(slow.sumMicros >= 5 * 60000);
        QVERIFY(slow.maxMicros >= 60000 && slow.maxMicros < 30000000);
        QTRY_COMPARE_WITH_TIMEOUT(collector.ended(2, RequestOutcome::ErrorReply).count, 3, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(collector.ended(3, RequestOutcome::Timeout).count, 2, 10000);
        QVERIFY(collector.ended(3, RequestOutcome::Timeout).buckets.begin()->first >= latencyBucket(100000));
        QTRY_COMPARE_WITH_TIMEOUT(collector.ended(4, RequestOutcome::Reply).count, 10, 10000);
        QCOMPARE(collector.ended(1, RequestOutcome::Timeout).count, 0);
        QCOMPARE(collector.ended(3, RequestOutcome::Reply).count, 0);
        // Object calls by their member's name, whatever the operation's number.
        const auto calls = [&](const QString &member, RequestOutcome outcome) {
            qint64 total = 0;
            for (const auto &[k, sum] : collector.requests()) {
                if (std::get<4>(k) == member && std::get<3>(k) == int(outcome))
                    total += sum.count;
            }
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(calls(QStringLiteral("thermostat.raise(double)"), RequestOutcome::Reply), qint64(1), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(calls(QStringLiteral("(acquire)"), RequestOutcome::Reply), qint64(1), 10000);
        // Sampled requests and their answers carry their kind and id.
        std::map<quint64, std::set<int>> kindsById;
        for (const QCborMap &event : collector.ofType(EventType::MessageSamples)) {
            const QCborArray rows = event.value(key(Key::Rows)).toArray();
            for (const QCborValue &value : event.value(key(Key::Correlations)).toArray()) {
                const QCborArray entry = value.toArray();
                const QCborArray row = rows.at(entry.at(0).toInteger()).toArray();
                if (row.at(3).toInteger() == 1) // the slow requests, both ways
                    kindsById[quint64(entry.at(2).toInteger())].insert(int(entry.at(1).toInteger()));
            }
        }
        QVERIFY(!kindsById.empty());
        bool paired = false;
        for (const auto &entry : kindsById)
            paired = paired || (entry.second.count(7) && entry.second.count(8)); // a request and its reply
        QVERIFY(paired);
        // The server's request: made to that client (peer = its id), ended by its leaving.
        QTRY_VERIFY_WITH_TIMEOUT(collector.ended(5, RequestOutcome::ConnectionLost).count == 1, 10000);
        bool toThatClient = false;
        for (const auto &[k, sum] : collector.requests())
            toThatClient = toThatClient || (std::get<2>(k) == 5 && std::get<1>(k) == qint64(clientId));
        QVERIFY(toThatClient);
    }

    // A client process that stops reading (SIGSTOP) while the server writes
    // to it in steps: the server's Delivery rows for it show the backlog
    // growing with each step, the window filling and then the queue, the
    // write refused and back-pressure; let go (SIGCONT), it drains to nothing.
    void deliveryStateOfAStalledPeer()
    {
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        ServerConfig config;
        config.sendWindow = SendWindow{8, 1 << 20};
        config.writeQueueLimit = 16;
        const QString name = uniqueName("stalled");
        Server server(name, config);
        QVERIFY(server.listen());
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);
        QProcess peer;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("IPC_MONITOR")); // only the server's side is watched
        peer.setProcessEnvironment(environment);
        peer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        peer.start(peerPath(), {QStringLiteral("idle-client"), name});
        QVERIFY(peer.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(peer.canReadLine(), 20000);
        QCOMPARE(peer.readLine().trimmed(), QByteArray("connected"));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientIds().size(), 1, 10000);
        const qint64 id = qint64(server.clientIds().first());
        // Reported once established: nothing waits, writes are accepted.
        QTRY_VERIFY_WITH_TIMEOUT(!collector.delivery(id).isEmpty(), 10000);
        const QCborArray first = collector.delivery(id).first();
        QCOMPARE(first.at(1).toInteger(), 0);
        QCOMPARE(first.at(3).toInteger(), 8);       // the window's limit
        QCOMPARE(first.at(13).toBool(), true);      // writable
        QCOMPARE(first.at(14).toBool(), true);      // the peer acknowledges
        QCOMPARE(::kill(pid_t(peer.processId()), SIGSTOP), 0); // our own child

        const auto latest = [&] { return collector.latestDelivery()[id]; };
        const auto backlog = [&] { return latest().at(1).toInteger() + latest().at(5).toInteger(); };
        for (int step = 1; step <= 6; ++step) {
            for (int i = 0; i < 4; ++i)
                QVERIFY(server.write(quint64(id), 6, QByteArray(100, 'd')));
            QTRY_COMPARE_WITH_TIMEOUT(backlog(), qint64(step * 4), 10000);
        }
        QCOMPARE(latest().at(1).toInteger(), 8);    // unconfirmed: the window is full
        QCOMPARE(latest().at(2).toInteger(), 800);  // its bytes
        QCOMPARE(latest().at(5).toInteger(), 16);   // queued: the queue is full
        QCOMPARE(latest().at(6).toInteger(), 1600);
        QCOMPARE(latest().at(13).toBool(), false);  // writes are no longer accepted
        QCOMPARE(latest().at(9).toInteger(), 1);    // back-pressure, once
        QVERIFY(!server.write(quint64(id), 6, QByteArray(100, 'd')));
        QTRY_COMPARE_WITH_TIMEOUT(latest().at(8).toInteger(), 1, 10000); // refused
        // Each step was reported: the backlog only grew.
        QList<qint64> seen;
        for (const QCborArray &row : collector.delivery(id)) {
            const qint64 value = row.at(1).toInteger() + row.at(5).toInteger();
            if (seen.isEmpty() || seen.last() != value)
                seen.append(value);
        }
        QCOMPARE(seen, (QList<qint64>{0, 4, 8, 12, 16, 20, 24}));

        QCOMPARE(::kill(pid_t(peer.processId()), SIGCONT), 0);
        QTRY_VERIFY_WITH_TIMEOUT(backlog() == 0 && latest().at(13).toBool(), 30000);
        QCOMPARE(latest().at(12).toInteger(), 0); // nothing handed back
        QCOMPARE(latest().at(10).toInteger(), 0); // no resumption
        stopPeer(peer);
    }

    // A connection cut under a client with unconfirmed messages: the
    // client's next connection reports a resumption and how many it re-sent;
    // every message arrives once.
    void deliveryStateOfAResumedClient()
    {
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        Server server(QStringLiteral("tcp://127.0.0.1:0"));
        QVERIFY(server.listen());
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);
        int got = 0;
        connect(&server, &Server::messageReceived, &server, [&] { ++got; });
        CuttingProxy proxy(quint16(server.listeningAddress().section(QLatin1Char(':'), -1).toUInt()));
        QVERIFY(proxy.listen());
        ClientConfig config;
        config.retryTimer = RetryTimer::fixed(20ms);
        Client client(QStringLiteral("tcp://127.0.0.1:%1").arg(proxy.port()), config);
        QVERIFY(client.waitForConnected(30s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientIds().size(), 1, 10000); // its side established too: a ledger to resume
        const quint64 firstId = server.clientIds().first();
        for (int i = 0; i < 20; ++i)
            QVERIFY(client.write(3, QByteArray(50, 'r')));
        const int unconfirmed = client.unconfirmedMessageCount();
        QVERIFY(unconfirmed > 0);
        proxy.cut(); // before the proxy passed them on: none is confirmed
        QTRY_COMPARE_WITH_TIMEOUT(got, 20, 30000);
        QVERIFY(client.waitForDelivered(30s));
        // The client's new connection: one resumption, the unconfirmed re-sent.
        const auto resumed = [&] {
            for (const auto &[connection, row] : collector.latestDelivery()) {
                if (row.at(10).toInteger() == 1 && row.at(11).toInteger() == unconfirmed)
                    return connection;
            }
            return qint64(0);
        };
        QTRY_VERIFY_WITH_TIMEOUT(resumed() != 0, 10000);
        QVERIFY(!server.clientIds().contains(quint64(resumed()))); // the client's side
        QTRY_COMPARE_WITH_TIMEOUT(collector.latestDelivery()[resumed()].at(1).toInteger(), 0, 10000);
        // The server's side of the client resumed too, under a new id.
        QTRY_VERIFY_WITH_TIMEOUT(server.clientIds().size() == 1 && server.clientIds().first() != firstId, 10000);
        const qint64 serverSide = qint64(server.clientIds().first());
        QTRY_VERIFY_WITH_TIMEOUT(collector.latestDelivery()[serverSide].at(10).toInteger() == 1, 10000);
        QCOMPARE(collector.latestDelivery()[serverSide].at(15).toBool(), true); // this connection resumed
        QCOMPARE(got, 20);

        // A goodbye, then a new connection: not a resumption.
        client.disconnectFromServer();
        QTRY_VERIFY_WITH_TIMEOUT(server.clientIds().isEmpty(), 10000);
        client.connectToServer();
        QVERIFY(client.waitForConnected(30s));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientIds().size(), 1, 10000);
        const qint64 fresh = qint64(server.clientIds().first());
        QTRY_VERIFY_WITH_TIMEOUT(collector.latestDelivery().count(fresh) == 1, 10000);
        QCOMPARE(collector.latestDelivery()[fresh].at(15).toBool(), false);
        QVERIFY(collector.latestDelivery()[fresh].at(10).toInteger() <= 1); // no further resumption counted
        QVERIFY(client.write(3, "after"));
        QTRY_COMPARE_WITH_TIMEOUT(got, 21, 10000);
    }

    // A message queued while the server was away that the restarted server
    // cannot take (its maximum size is smaller now): handed back, and the
    // client's new connection reports it.
    void deliveryStateCountsHandedBack()
    {
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        const QString name = uniqueName("handback");
        auto first = std::make_unique<Server>(name);
        QVERIFY(first->listen());
        QTRY_VERIFY_WITH_TIMEOUT(!collector.ofType(EventType::Hello).isEmpty(), 10000);
        ClientConfig config;
        config.retryTimer = RetryTimer::fixed(20ms);
        Client client(name, config);
        QVERIFY(client.waitForConnected(30s));
        QSignalSpy dropped(&client, &Client::messagesDropped);
        first.reset();
        QTRY_VERIFY_WITH_TIMEOUT(!client.isConnected(), 10000);
        QVERIFY(client.write(4, QByteArray(4096, 'h'))); // queued until a server is back
        ServerConfig smaller;
        smaller.maxMessageSize = 1024;
        Server second(name, smaller);
        QVERIFY(second.listen());
        QVERIFY(client.waitForConnected(30s));
        QTRY_COMPARE_WITH_TIMEOUT(dropped.size(), 1, 10000);
        const auto handedBack = [&] {
            for (const auto &[connection, row] : collector.latestDelivery()) {
                if (row.at(12).toInteger() > 0)
                    return row.at(12).toInteger();
            }
            return qint64(0);
        };
        QTRY_COMPARE_WITH_TIMEOUT(handedBack(), qint64(1), 10000);
        QCOMPARE(client.takeUndeliveredMessages().size(), 1);
    }

    // A monitor that stops reading (SIGSTOP): the application's traffic all
    // arrives, the reporter holds no more than its bounds, and the drops are
    // reported once a monitor listens again.
    void stalledMonitor()
    {
        QProcess stalled;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("IPC_MONITOR")); // the stand-in monitor reports nothing itself
        stalled.setProcessEnvironment(environment);
        QVERIFY(!startPeerServer(stalled, {QStringLiteral("sink"), monitorAddress}).isEmpty());
        Reporter *reporter = Reporter::instance(monitorAddress);
        QVERIFY(reporter);
        QTRY_VERIFY_WITH_TIMEOUT(reporter->isConnected(), 10000);
        QCOMPARE(::kill(pid_t(stalled.processId()), SIGSTOP), 0); // our own child

        const QString name = uniqueName("busy");
        Server server(name);
        QVERIFY(server.listen());
        int got = 0;
        connect(&server, &Server::messageReceived, &server, [&] { ++got; });
        Client client(name);
        QVERIFY(client.waitForConnected(30s));
        int highest = 0;
        for (int round = 0; round < 200; ++round) {
            // Short-lived clients: more events than a stalled monitor can take.
            Client brief(name);
            QVERIFY(brief.waitForConnected(30s));
            for (int i = 0; i < 500; ++i)
                QVERIFY(client.write(i % 50 + 1, "x"));
            QVERIFY(client.waitForDelivered(30s));
            highest = qMax(highest, reporter->backlog());
        }
        QCOMPARE(got, 200 * 500);
        QVERIFY(highest <= 256 + 256); // the reporter's window and queue

        QCOMPARE(::kill(pid_t(stalled.processId()), SIGCONT), 0);
        stopPeer(stalled);
        Collector collector(monitorAddress);
        QVERIFY(collector.listen());
        // Drops may come in more than one report: wait for both kinds.
        QTRY_VERIFY_WITH_TIMEOUT(collector.droppedEvents() > 0 && collector.droppedSamples() > 0, 10000);
    }
};

QTEST_MAIN(TestTelemetry)
#include "tst_telemetry.moc"
