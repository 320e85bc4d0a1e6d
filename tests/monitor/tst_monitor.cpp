// ipc-monitor: its model from scripted events (counts, rates, security,
// the log's cap, filters, pause), a recording that reopens the same, and the
// window under the offscreen platform fed by a real Server and Client.
#include "collector.h"
#include "peerprocess.h"
#include "connection_details.h"
#include "connection_map.h"
#include "delivery_view.h"
#include "demo_thermostat.h"
#include "event_json.h"
#include "event_text.h"
#include "latency_view.h"
#include "main_window.h"
#include "models.h"
#include "recording.h"
#include "summary.h"
#include "testnames.h"
#include "time_ordered_lines.h"
#include "timeline.h"
#include "traffic.h"

#include <ipc/client.h>
#include <ipc/replica.h>
#include <ipc/server.h>
#include <ipc/telemetry.h>

#include <QCborArray>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QTreeView>
#include <QHeaderView>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

using namespace std::chrono_literals;
using namespace monitor;
using namespace ipc::telemetry;

namespace {

QCborMap map(std::initializer_list<std::pair<const char *, QCborValue>> entries)
{
    QCborMap result;
    for (const auto &entry : entries)
        result.insert(QLatin1String(entry.first), entry.second);
    return result;
}

// One process (pid 42) with a server endpoint and one encrypted connection.
void script(Traffic &traffic, quint64 source = 7)
{
    traffic.apply(source, EventType::Hello, map({{Key::Version, 1}, {Key::Pid, 42}, {Key::Process, QStringLiteral("app")}}));
    traffic.apply(source, EventType::EndpointUp,
                  map({{Key::Endpoint, 1}, {Key::Role, QStringLiteral("server")}, {Key::Address, QStringLiteral("/tmp/x.sock")},
                       {Key::Transport, QStringLiteral("local")}, {Key::Protocol, QStringLiteral("native")}}));
    traffic.apply(source, EventType::ConnectionOpened,
                  map({{Key::Connection, 5}, {Key::Endpoint, 1}, {Key::PeerAddress, QStringLiteral("/tmp/x.sock")},
                       {Key::PeerPid, 43}, {Key::PeerUid, 1000}}));
    traffic.apply(source, EventType::ConnectionEstablished,
                  map({{Key::Connection, 5}, {Key::Protocol, QStringLiteral("native")}, {Key::PeerPid, 43},
                       {Key::PeerProcess, QStringLiteral("peer")}, {Key::Security, QStringLiteral("authenticated")},
                       {Key::Encryption, QStringLiteral("Noise_NNpsk0_25519_AESGCM_SHA256")}}));
}

QCborMap counters(std::initializer_list<QCborArray> rows)
{
    QCborArray array;
    for (const QCborArray &row : rows)
        array.append(row);
    return map({{Key::Time, 0}, {Key::Rows, array}});
}

QList<LoggedMessage> messages(int count, qint32 type, ipc::telemetry::Direction direction = Direction::Received)
{
    QList<LoggedMessage> list;
    for (int i = 0; i < count; ++i) {
        LoggedMessage message;
        message.type = type;
        message.size = quint64(i);
        message.direction = direction;
        message.endpointAddress = QStringLiteral("/tmp/x.sock");
        list.append(message);
    }
    return list;
}

// What the collector hears goes into the model, as in ipc-monitor.
void feed(Collector &collector, Traffic &traffic)
{
    QObject::connect(&collector, &Collector::eventReceived, &traffic,
                     [&traffic](quint64 source, EventType type, const QCborMap &event) { traffic.apply(source, type, event); });
}

// A sink server and a client sending `count` 64-byte messages to it at full
// speed, two processes both reporting to the monitor at `address`.
bool startReportingTraffic(const QString &address, const QString &name, int count, QProcess &sink, QProcess &burst)
{
    QProcessEnvironment reporting = QProcessEnvironment::systemEnvironment();
    reporting.insert(QStringLiteral("IPC_MONITOR"), address);
    sink.setProcessEnvironment(reporting);
    if (startPeerServer(sink, {QStringLiteral("sink"), name}).isEmpty())
        return false;
    burst.setProcessEnvironment(reporting);
    burst.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    burst.start(peerPath(), {QStringLiteral("burst"), name, QString::number(count), QStringLiteral("64")});
    return burst.waitForStarted(10000);
}


// The processes whose parent is `parent`, read from /proc (their pids).
QList<qint64> childrenOf(qint64 parent)
{
    QList<qint64> children;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool numeric = false;
        const qint64 pid = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
        const QByteArray text = stat.readAll();
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields.at(1).toLongLong() == parent)
            children.append(pid);
    }
    return children;
}

// Gone, or a zombie nobody has reaped yet: it runs no more code.
bool hasEnded(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray text = stat.readAll();
    return text.mid(text.lastIndexOf(')') + 2).startsWith('Z');
}

} // namespace

class TestMonitor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("IPC_MONITOR", m_address.toUtf8()); // before any endpoint exists
    }

    // Counter deltas add up per connection and per type; a type's
    // statistics count a message once even when both ends report it.
    void countsAndRates()
    {
        Traffic traffic;
        script(traffic);
        traffic.apply(7, EventType::Counters, counters({{5, 0, 1, 10, 100, 10, 10}, {5, 1, 2, 3, 3000, 500, 1500}}));
        traffic.apply(7, EventType::Counters, counters({{5, 0, 1, 5, 50, 10, 10}}));
        const ConnectionState &connection = traffic.processes().at(42).connections.at(5);
        QCOMPARE(connection.received.count, 15u);
        QCOMPARE(connection.received.bytes, 150u);
        QCOMPARE(connection.sent.count, 3u);
        QCOMPARE(connection.security, Security::Authenticated);
        QCOMPARE(connection.peerPid, 43);
        QCOMPARE(traffic.types().at(2).minSize, 500u);
        QCOMPARE(traffic.types().at(2).maxSize, 1500u);
        traffic.tick(); // rates: what arrived since the last tick
        QCOMPARE(connection.receivedRate, 15.0);
        traffic.apply(7, EventType::Counters, counters({{5, 0, 1, 4, 40, 10, 10}}));
        traffic.tick();
        QCOMPARE(connection.receivedRate, 4.0);
        QCOMPARE(traffic.types().at(1).rate, 4.0);
        QCOMPARE(traffic.types().at(1).history.size(), std::size_t(2));

        // The other end of type 2 reports the same 3 messages as received.
        Traffic both;
        script(both, 7);
        both.apply(7, EventType::Counters, counters({{5, 1, 2, 3, 3000, 500, 1500}, {5, 0, 2, 3, 3000, 500, 1500}}));
        QCOMPARE(both.types().at(2).count(), 3u);
    }

    void securityClassification()
    {
        QCOMPARE(securityFromName(QStringLiteral("plain")), Security::Plain);
        QCOMPARE(securityFromName(QStringLiteral("weak")), Security::Weak);
        QCOMPARE(securityFromName(QStringLiteral("encrypted")), Security::Encrypted);
        QCOMPARE(securityFromName(QStringLiteral("authenticated")), Security::Authenticated);
        QCOMPARE(securityFromName(QStringLiteral("?")), Security::Unknown);
        QSet<QRgb> colours;
        for (Security s : {Security::Plain, Security::Weak, Security::Encrypted, Security::Authenticated, Security::Unknown})
            colours.insert(securityColor(s).rgb());
        QCOMPARE(colours.size(), 5); // each state its own colour
    }

    // A closed connection stays, marked, until cleared; a gone process too.
    void closedStayUntilCleared()
    {
        Traffic traffic;
        script(traffic);
        traffic.apply(7, EventType::ConnectionClosed,
                      map({{Key::Connection, 5}, {Key::Error, QStringLiteral("ConnectionLost")}, {Key::Reason, QStringLiteral("gone")}}));
        TreeModel tree;
        tree.refresh(traffic);
        const QModelIndex process = tree.index(0, 0);
        const QModelIndex endpoint = tree.index(0, 0, process);
        const QModelIndex connection = tree.index(0, 0, endpoint);
        QVERIFY(connection.isValid());
        QCOMPARE(connection.data(ClosedRole).toBool(), true);
        QCOMPARE(tree.index(0, 1, endpoint).data().toString(), QStringLiteral("closed: ConnectionLost"));
        traffic.clearClosed();
        tree.refresh(traffic);
        QCOMPARE(tree.rowCount(tree.index(0, 0, tree.index(0, 0))), 0);
    }

    // One edge per pair of processes and security level, each drawn in its
    // own colour, none hiding another.
    void mapDrawsEveryEdge()
    {
        Traffic traffic;
        const char *levels[] = {"plain", "weak", "encrypted", "authenticated"};
        for (quint64 source : {1u, 2u}) {
            const qint64 pid = source == 1 ? 100 : 200;
            traffic.apply(source, EventType::Hello, map({{Key::Pid, pid}, {Key::Process, QStringLiteral("p%1").arg(pid)}}));
            for (int i = 0; i < 4; ++i) {
                traffic.apply(source, EventType::ConnectionOpened, map({{Key::Connection, i + 1}, {Key::PeerPid, 300 - pid}}));
                traffic.apply(source, EventType::ConnectionEstablished,
                              map({{Key::Connection, i + 1}, {Key::Security, QLatin1String(levels[i])}}));
            }
        }
        ConnectionMap view;
        view.resize(900, 500);
        view.refresh(traffic);
        QCOMPARE(view.nodes().size(), std::size_t(2));
        QCOMPARE(view.edges().size(), std::size_t(4));
        for (const ConnectionMap::Edge &edge : view.edges())
            QCOMPARE(edge.connections, 1); // both ends report each connection: counted once
        const QImage picture = view.grab().toImage();
        // Above the legend: each colour must show on its edge.
        const QImage edges = picture.copy(0, 0, picture.width(), picture.height() - 50);
        for (Security security : {Security::Plain, Security::Weak, Security::Encrypted, Security::Authenticated}) {
            const QRgb colour = securityColor(security).rgb();
            int pixels = 0;
            for (int y = 0; y < edges.height(); ++y) {
                for (int x = 0; x < edges.width(); ++x)
                    pixels += edges.pixel(x, y) == colour ? 1 : 0;
            }
            QVERIFY2(pixels > 200, qPrintable(securityLabel(security)));
        }
    }

    // The log keeps its newest rows up to the cap, in batches.
    void logCap()
    {
        MessageLog log;
        log.setCap(100);
        log.append(messages(80, 1));
        log.append(messages(50, 2));
        QCOMPARE(log.rowCount(), 100);
        QCOMPARE(log.at(0).type, 1); // 30 of the first batch left from the top
        QCOMPARE(log.at(0).size, 30u);
        QCOMPARE(log.at(49).type, 1);
        QCOMPARE(log.at(50).type, 2);
        log.append(messages(500, 3)); // a batch beyond the cap keeps its newest
        QCOMPARE(log.rowCount(), 100);
        QCOMPARE(log.at(0).type, 3);
        QCOMPARE(log.at(99).size, 499u);
    }

    void filtersAndPause()
    {
        MessageLog log;
        LogFilter filter;
        filter.setSourceModel(&log);
        log.append(messages(10, 1));
        log.append(messages(5, 2, Direction::Sent));
        QCOMPARE(filter.rowCount(), 15);
        filter.excludeType(1);
        QCOMPARE(filter.rowCount(), 5);
        filter.clearExcluded();
        filter.setOnlyType(1);
        QCOMPARE(filter.rowCount(), 10);
        filter.setOnlyType(std::nullopt);
        filter.setDirection(Direction::Sent);
        QCOMPARE(filter.rowCount(), 5);
        filter.setDirection(std::nullopt);
        filter.setEndpointText(QStringLiteral("nothing-like-it"));
        QCOMPARE(filter.rowCount(), 0);
        filter.setEndpointText(QString());
        log.setPaused(true);
        log.append(messages(7, 1));
        QCOMPARE(log.rowCount(), 15);
        QCOMPARE(log.missedWhilePaused(), 7u);
        log.setPaused(false);
        log.append(messages(1, 1));
        QCOMPARE(log.rowCount(), 16);
    }

    // Recorded events reopen into the same rows, payload bytes included.
    void recordingReopens()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("session.jsonl"));
        Recorder recorder;
        QString error;
        QVERIFY(recorder.open(path, &error));
        Traffic live;
        const auto apply = [&](EventType type, const QCborMap &event) {
            live.apply(7, type, event);
            recorder.write(1, 7, type, event);
        };
        apply(EventType::Hello, map({{Key::Version, 1}, {Key::Pid, 42}, {Key::Process, QStringLiteral("app")}}));
        apply(EventType::ConnectionOpened, map({{Key::Connection, 5}, {Key::Endpoint, 1}}));
        apply(EventType::Counters, counters({{5, 0, 9, 2, 20, 10, 10}}));
        const QByteArray payload("\x00\x01 binary", 9);
        apply(EventType::MessageSamples,
              map({{Key::Time, 0}, {Key::Rows, QCborArray{QCborArray{1000, 5, 0, 9, 9, payload}}}}));
        recorder.close();

        Traffic reopened;
        QList<LoggedMessage> logged;
        connect(&reopened, &Traffic::messagesLogged, this, [&](const QList<LoggedMessage> &m) { logged += m; });
        QVERIFY2(readRecording(path, [&](qint64, quint64 source, int type, const QCborMap &event) {
            reopened.apply(source, EventType(type), event);
        }, &error), qPrintable(error));
        QCOMPARE(reopened.processes().at(42).connections.at(5).received.count, 2u);
        // The same rows in the window's tree, cell for cell.
        TreeModel liveTree;
        TreeModel reopenedTree;
        liveTree.refresh(live);
        reopenedTree.refresh(reopened);
        const auto cells = [](const TreeModel &tree) {
            QStringList texts;
            std::function<void(const QModelIndex &)> walk = [&](const QModelIndex &parent) {
                for (int row = 0; row < tree.rowCount(parent); ++row) {
                    for (int column = 0; column < tree.columnCount(); ++column)
                        texts << tree.index(row, column, parent).data().toString();
                    walk(tree.index(row, 0, parent));
                }
            };
            walk(QModelIndex());
            return texts;
        };
        QVERIFY(!cells(liveTree).isEmpty());
        QCOMPARE(cells(reopenedTree), cells(liveTree));
        QCOMPARE(reopened.types().at(9).count(), 2u);
        QCOMPARE(logged.size(), 1);
        QCOMPARE(logged.first().payload, payload);

        QFile broken(dir.filePath(QStringLiteral("broken.jsonl")));
        QVERIFY(broken.open(QIODevice::WriteOnly));
        broken.write("{\"time\":1}\nnot json\n");
        broken.close();
        QVERIFY(!readRecording(broken.fileName(), [](qint64, quint64, int, const QCborMap &) {}, &error));
        QVERIFY2(error.contains(QLatin1String("line 2")), qPrintable(error));
    }

    // Remote-object traffic is grouped, shown, filtered and printed by its
    // object and member name, apart from the application's type of the same
    // number; its decoded arguments stand in for the payload.
    void objectTrafficByName()
    {
        Traffic traffic;
        script(traffic);
        const QString setTarget = QStringLiteral("thermostat.setTarget(double)");
        traffic.apply(7, EventType::Counters,
                      counters({QCborArray{5, 0, 4, 2, 40, 20, 20}, QCborArray{5, 0, 4, 3, 48, 16, 16, setTarget}}));
        QCOMPARE(traffic.types().size(), std::size_t(2));
        QCOMPARE(traffic.types().at(4).count(), 2u);
        QCOMPARE(traffic.types().at(TypeKey(4, setTarget)).count(), 3u);

        QList<LoggedMessage> logged;
        connect(&traffic, &Traffic::messagesLogged, this, [&](const QList<LoggedMessage> &m) { logged += m; });
        const QCborArray named{1000, 5, 0, 4, 16, QCborValue(QCborValue::Null), setTarget, QCborArray{23.5}};
        const QCborArray plain{1000, 5, 0, 4, 20};
        traffic.apply(7, EventType::MessageSamples, map({{Key::Time, 0}, {Key::Rows, QCborArray{named, plain}}}));
        QCOMPARE(logged.size(), 2);
        QCOMPARE(logged.at(0).name, setTarget);
        QVERIFY(!logged.at(0).payloadReported);

        MessageLog log;
        log.append(logged);
        QCOMPARE(log.index(0, MessageLog::Type).data().toString(), setTarget);
        QCOMPARE(log.index(0, MessageLog::Payload).data().toString(), QStringLiteral("[23.5]"));
        QCOMPARE(log.index(1, MessageLog::Type).data().toString(), QStringLiteral("4"));
        QVERIFY(log.toCsv().contains(QStringLiteral(",thermostat.setTarget(double),16,,[23.5]")));
        LogFilter filter;
        filter.setSourceModel(&log);
        filter.setOnlyType(QStringLiteral("settarget"));
        QCOMPARE(filter.rowCount(), 1);
        filter.setOnlyType(QStringLiteral("4")); // a number: the application's type 4 only
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.index(0, MessageLog::Payload).data().toString(), QStringLiteral("(not reported)"));
        filter.setOnlyType(QString());
        filter.excludeType(TypeKey(4, setTarget));
        QCOMPARE(filter.rowCount(), 1);

        TypeStatsModel stats;
        stats.refresh(traffic);
        QCOMPARE(stats.item(1, 0)->text(), setTarget);

        const QList<EventLine> lines = describeEvent(traffic.processOf(7), EventType::MessageSamples,
                                                     map({{Key::Time, 0}, {Key::Rows, QCborArray{named}}}), 1000);
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().text.contains(QStringLiteral("<- thermostat.setTarget(double) 16 bytes [23.5]")),
                 qPrintable(lines.first().text));
    }

    // The window with a real exposed object and a replica calling it: the
    // statistics and the log name the member and show the argument.
    void windowShowsObjectTraffic()
    {
        Traffic traffic;
        Collector collector(m_address);
        QVERIFY(collector.listen());
        feed(collector, traffic);
        MainWindow window(&traffic, m_address);
        window.show();

        const QString name = uniqueName("objects");
        ipc::ServerConfig config;
        config.reportPayloads = true;
        ipc::Server server(name, config);
        DemoThermostat thermostat;
        QVERIFY(server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(server.listen());
        ipc::Client client(name);
        std::unique_ptr<ipc::DynamicReplica> replica(client.acquireDynamic(QStringLiteral("thermostat")));
        QTRY_COMPARE_WITH_TIMEOUT(replica->state(), ipc::Replica::State::Valid, 30000);
        QFuture<QVariant> call = replica->call(QStringLiteral("setTarget"), {23.5});
        QTRY_VERIFY_WITH_TIMEOUT(call.isFinished(), 30000);
        QCOMPARE(thermostat.target(), 23.5);

        const QString setTarget = QStringLiteral("thermostat.setTarget(double)");
        const auto statsNames = [&] {
            QStringList names;
            for (int row = 0; row < window.statsModel()->rowCount(); ++row)
                names << window.statsModel()->item(row, 0)->text();
            return names;
        };
        QTRY_VERIFY_WITH_TIMEOUT(statsNames().contains(setTarget), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(statsNames().contains(QStringLiteral("thermostat.targetChanged(double)")), 10000);
        window.logFilter()->setOnlyType(QStringLiteral("setTarget"));
        QTRY_VERIFY_WITH_TIMEOUT(window.logFilter()->rowCount() >= 1, 10000);
        bool sawArgument = false;
        for (int row = 0; row < window.logFilter()->rowCount(); ++row) {
            if (window.logFilter()->index(row, MessageLog::Type).data().toString() == setTarget
                && window.logFilter()->index(row, MessageLog::Payload).data().toString() == QStringLiteral("[23.5]"))
                sawArgument = true;
        }
        QVERIFY(sawArgument);
    }

    // Requests rows fold into per-type latency: outcomes, exact bucket
    // counts, percentiles to the bucket; for every process, one process, or
    // one connection (a server's to that client, a client's on its endpoint).
    void latencyByTypeAndScope()
    {
        Traffic traffic;
        script(traffic); // pid 42, server endpoint 1, connection 5
        const auto requests = [](std::initializer_list<QCborArray> rows) {
            QCborArray array;
            for (const QCborArray &row : rows)
                array.append(row);
            return map({{Key::Time, 0}, {Key::Rows, array}});
        };
        const int reply = int(RequestOutcome::Reply);
        const int timeout = int(RequestOutcome::Timeout);
        // 90 requests in 1 ms' bucket, 10 in 100 ms', 2 timeouts at 2 s, and a member by name.
        const int ms1 = latencyBucket(1000);
        const int ms100 = latencyBucket(100000);
        const int s2 = latencyBucket(2000000);
        traffic.apply(7, EventType::Requests,
                      requests({{1, 5, 3, reply, 100, 90 * 1000 + 10 * 100000, 100500, QCborArray{ms1, 90, ms100, 10}},
                                {1, 5, 3, timeout, 2, 4000000, 2000000, QCborArray{s2, 2}},
                                {1, 5, 7, reply, 1, 50, 50, QCborArray{latencyBucket(50), 1},
                                 QStringLiteral("thermostat.describe()")}}));
        std::map<TypeKey, LatencyStats> all = traffic.latencyByType();
        QCOMPARE(all.size(), std::size_t(2));
        const LatencyStats &three = all.at(TypeKey(3));
        QCOMPARE(three.count(), 102u);
        QCOMPARE(three.ended(RequestOutcome::Timeout), 2u);
        QCOMPARE(three.percentile(0.5), latencyBucketStart(ms1 + 1)); // the end of 1 ms' bucket
        QCOMPARE(three.percentile(0.95), latencyBucketStart(ms100 + 1));
        QCOMPARE(three.percentile(1.0), 2000000u); // never beyond the largest seen
        QCOMPARE(all.at(TypeKey(7, QStringLiteral("thermostat.describe()"))).count(), 1u);
        QCOMPARE(traffic.latencyByType(42).size(), std::size_t(2));
        QCOMPARE(traffic.latencyByType(41).size(), std::size_t(0));
        QCOMPARE(traffic.latencyByType(42, 5).size(), std::size_t(2));
        QCOMPARE(traffic.latencyByType(42, 6).size(), std::size_t(0));
        // A later row adds to what is there; an unknown outcome is ignored.
        traffic.apply(7, EventType::Requests, requests({{1, 5, 3, reply, 1, 10, 10, QCborArray{latencyBucket(10), 1}},
                                                        {1, 5, 3, 99, 1, 10, 10, QCborArray{}}}));
        QCOMPARE(traffic.latencyByType().at(TypeKey(3)).count(), 103u);

        const QString text = summaryText(traffic, 0);
        QVERIFY2(text.contains(QStringLiteral("requests to")), qPrintable(text));
        const QStringList rowThree = text.split(QLatin1Char('\n')).filter(QRegularExpression(QStringLiteral("^  3 ")));
        QCOMPARE(rowThree.size(), 1); // no counters, so no types: only the requests' row
        QCOMPARE(rowThree.at(0).split(QLatin1Char(' '), Qt::SkipEmptyParts).mid(0, 5),
                 (QStringList{QStringLiteral("3"), QStringLiteral("103"), QStringLiteral("0"), QStringLiteral("2"),
                              QStringLiteral("0")}));
        const QJsonArray json = summaryJson(traffic, 0).value(QStringLiteral("requests")).toArray();
        QCOMPARE(json.size(), 2);
        QCOMPARE(json.at(0).toObject().value(QStringLiteral("maxMicros")).toInteger(), 2000000);

        const QList<EventLine> lines = eventJson(traffic.processOf(7), EventType::Requests,
                                                 requests({{1, 5, 3, timeout, 2, 4000000, 2000000, QCborArray{s2, 2}}}), 0);
        const QJsonObject row = QJsonDocument::fromJson(lines.at(0).text.toUtf8()).object();
        QCOMPARE(row.value(QStringLiteral("outcome")).toString(), QStringLiteral("timed out"));
        QCOMPARE(row.value(QStringLiteral("buckets")).toArray().at(0).toArray().at(0).toInteger(),
                 qint64(latencyBucketStart(s2)));
    }

    // A client process that stops reading while a real Server writes to it
    // in steps, a second of the monitor's history each: the Delivery tab
    // shows the backlog growing, the tree highlights the connection as
    // backing up and then as having a full queue, the details pane says why;
    // let go, it drains and is highlighted no more.
    void deliveryShowsAStalledPeer()
    {
        Traffic traffic; // ticked here, not by a window's timer: a second per step
        Collector collector(m_address);
        QVERIFY(collector.listen());
        feed(collector, traffic);
        ipc::ServerConfig config;
        config.sendWindow = ipc::SendWindow{64, 1 << 20};
        config.writeQueueLimit = 32;
        const QString name = uniqueName("stalled");
        ipc::Server server(name, config);
        QVERIFY(server.listen());
        QProcess peer;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("IPC_MONITOR")); // the server's side is the one watched
        peer.setProcessEnvironment(environment);
        peer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        peer.start(peerPath(), {QStringLiteral("idle-client"), name});
        QVERIFY(peer.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(peer.canReadLine(), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(server.clientIds().size(), 1, 10000);
        const quint64 id = server.clientIds().first();
        const qint64 pid = QCoreApplication::applicationPid();
        const auto delivery = [&]() -> DeliveryInfo {
            const auto process = traffic.processes().find(pid);
            if (process == traffic.processes().end())
                return {};
            const auto connection = process->second.connections.find(id);
            return connection == process->second.connections.end() ? DeliveryInfo() : connection->second.delivery;
        };
        QTRY_VERIFY_WITH_TIMEOUT(delivery().known, 10000);
        QCOMPARE(delivery().health(QDateTime::currentMSecsSinceEpoch()), DeliveryHealth::Fine);
        // A first message confirmed: acknowledgements flow before the peer stops.
        QString clientError;
        connect(&server, &ipc::Server::clientErrorOccurred, this,
                [&](quint64, ipc::Error, const QString &reason) { clientError = reason; });
        QVERIFY2(server.write(id, 6, "first"), qPrintable(clientError));
        QTRY_COMPARE_WITH_TIMEOUT(server.unconfirmedMessageCount(id), 0, 10000);
        QCOMPARE(::kill(pid_t(peer.processId()), SIGSTOP), 0); // our own child
        traffic.tick();
        for (int step = 1; step <= 4; ++step) {
            for (int i = 0; i < 10; ++i)
                QVERIFY2(server.write(id, 6, QByteArray(100, 'd')), qPrintable(clientError));
            QTRY_COMPARE_WITH_TIMEOUT(delivery().backlog(), qint64(step * 10), 10000);
            traffic.tick();
        }
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QCOMPARE(delivery().unconfirmed, 40);
        QVERIFY(delivery().windowFill() < 0.9); // highlighted for growing, not for a full window
        QCOMPARE(delivery().health(now), DeliveryHealth::BackingUp);

        TreeModel tree;
        tree.refresh(traffic);
        const auto connectionRow = [&]() -> QModelIndex {
            const QModelIndexList found = tree.match(tree.index(0, 0), KeyRole, QStringLiteral("c%1").arg(id), 1,
                                                     Qt::MatchExactly | Qt::MatchRecursive);
            return found.isEmpty() ? QModelIndex() : found.first();
        };
        QVERIFY(connectionRow().isValid());
        QCOMPARE(connectionRow().data(DeliveryHealthRole).toInt(), int(DeliveryHealth::BackingUp));
        QVERIFY(connectionRow().siblingAtColumn(1).data().toString().contains(QStringLiteral("backing up")));
        QCOMPARE(connectionRow().data(Qt::BackgroundRole).value<QBrush>().color(), healthColor(DeliveryHealth::BackingUp));
        QVERIFY2(connectionRow().siblingAtColumn(1).data(Qt::ToolTipRole).toString().contains(
                     QStringLiteral("backlog grew from 10 to 40")),
                 qPrintable(connectionRow().siblingAtColumn(1).data(Qt::ToolTipRole).toString()));

        DeliveryView view(&traffic);
        view.refresh();
        const int row = view.model()->rowOf(pid, id);
        QVERIFY(row >= 0);
        QCOMPARE(view.model()->index(row, DeliveryModel::State).data().toString(), QStringLiteral("backing up"));
        QCOMPARE(view.model()->index(row, DeliveryModel::Unconfirmed).data(DeliveryModel::SortRole).toLongLong(), 40);
        view.select(pid, id);
        QCOMPARE(view.model()->rowAt(row)->delivery.history.size(), std::size_t(5));
        QCOMPARE(view.model()->rowAt(row)->delivery.history.back().backlog, 40);
        const QString details = connectionDetails(traffic, pid, id);
        QVERIFY2(details.contains(QStringLiteral("40 message(s)")) && details.contains(QStringLiteral("backing up")),
                 qPrintable(details));

        // On until the queue is full: writes refused, and shown so.
        int accepted = 0;
        while (server.write(id, 6, QByteArray(100, 'd')))
            ++accepted;
        QCOMPARE(accepted, 24 + 32); // the rest of the window, then the queue
        QTRY_COMPARE_WITH_TIMEOUT(delivery().health(QDateTime::currentMSecsSinceEpoch()), DeliveryHealth::QueueFull, 10000);
        tree.refresh(traffic);
        QVERIFY(connectionRow().siblingAtColumn(1).data().toString().contains(QStringLiteral("queue full")));
        view.refresh();
        QCOMPARE(view.model()->index(view.model()->rowOf(pid, id), DeliveryModel::Refused).data().toLongLong(), 1);

        QCOMPARE(::kill(pid_t(peer.processId()), SIGCONT), 0);
        QTRY_VERIFY_WITH_TIMEOUT(delivery().backlog() == 0 && delivery().writable, 30000);
        for (int i = 0; i < DeliveryInfo::GrowingSeconds; ++i)
            traffic.tick();
        QCOMPARE(delivery().health(QDateTime::currentMSecsSinceEpoch()), DeliveryHealth::Fine);
        tree.refresh(traffic);
        QCOMPARE(connectionRow().data(DeliveryHealthRole).toInt(), int(DeliveryHealth::Fine));
        QVERIFY(!connectionRow().data(Qt::BackgroundRole).isValid()
                || connectionRow().data(Qt::BackgroundRole).value<QBrush>().style() == Qt::NoBrush);
        stopPeer(peer);
    }

    // Selecting a connection in the tree shows everything known about it,
    // and what went wrong on it, newest first.
    void connectionDetailsPane()
    {
        Traffic traffic;
        script(traffic); // app[42]'s connection 5 to peer[43], authenticated
        traffic.apply(7, EventType::ConnectionError,
                      map({{Key::Connection, 5}, {Key::Error, QStringLiteral("WriteQueueFull")},
                           {Key::Reason, QStringLiteral("write refused: 1024 messages already wait")}}));
        QCborArray rows{QCborArray{1, 5, 3, int(RequestOutcome::Timeout), 2, 600000, 300000,
                                   QCborArray{latencyBucket(300000), 2}}};
        traffic.apply(7, EventType::Requests, map({{Key::Time, 0}, {Key::Rows, rows}}));
        QVERIFY(connectionDetails(traffic, 42, 6).isEmpty());
        QVERIFY(connectionDetails(traffic, 41, 5).isEmpty());

        MainWindow window(&traffic, QStringLiteral("details-test"));
        window.refreshNow();
        QVERIFY(window.details()->toPlainText().contains(QStringLiteral("Select a connection")));
        QModelIndex connection;
        const QAbstractItemModel *tree = window.treeView()->model();
        const QModelIndex process = tree->index(0, 0);
        const QModelIndex endpoint = tree->index(0, 0, process);
        connection = tree->index(0, 0, endpoint);
        QCOMPARE(connection.data(KindRole).toString(), QStringLiteral("connection"));
        window.treeView()->setCurrentIndex(connection);
        QString text = window.details()->toPlainText();
        for (const QString &expected : {QStringLiteral("connection 5 of app [42]"), QStringLiteral("peer [43]"),
                                        QStringLiteral("pid 43, uid 1000, from the system"),
                                        securityLabel(Security::Authenticated),
                                        QStringLiteral("Noise_NNpsk0_25519_AESGCM_SHA256"),
                                        QStringLiteral("server /tmp/x.sock (local, native)"),
                                        QStringLiteral("write refused, WriteQueueFull: write refused: 1024 messages already wait")}) {
            QVERIFY2(text.contains(expected), qPrintable(expected + QStringLiteral(" not in:\n") + text));
        }
        QVERIFY2(text.contains(QStringLiteral("3: 2 request(s), 0 error(s), 2 timeout(s), 0 lost")), qPrintable(text));

        traffic.apply(7, EventType::ConnectionClosed,
                      map({{Key::Connection, 5}, {Key::Error, QStringLiteral("ConnectionLost")},
                           {Key::Reason, QStringLiteral("the peer vanished")}}));
        window.refreshNow();
        text = window.details()->toPlainText();
        QVERIFY(text.contains(QStringLiteral("closed with ConnectionLost: the peer vanished")));
        QVERIFY(text.indexOf(QStringLiteral("closed with ConnectionLost")) < text.indexOf(QStringLiteral("write refused, ")));
    }

    // The timeline draws each message once, between the lanes of its
    // processes, and joins a request with its answer by connection and id.
    void timelineJoinsRequestsAndAnswers()
    {
        const auto message = [](qint64 time, qint64 pid, Direction direction, int kind, quint64 id, qint64 peerPid) {
            LoggedMessage m;
            m.time = time;
            m.pid = pid;
            m.process = pid == 42 ? QStringLiteral("app") : QStringLiteral("peer");
            m.connection = pid == 42 ? 5 : 9;
            m.direction = direction;
            m.type = 3;
            m.correlationKind = kind;
            m.correlationId = id;
            m.peerPid = peerPid;
            m.peer = peerPid < 0 ? QStringLiteral("/tmp/x.sock") : QStringLiteral("peer (43)");
            return m;
        };
        QList<LoggedMessage> messages{
            message(1000, 42, Direction::Sent, 7, 100, 43),     // 0: app's request
            message(1001, 43, Direction::Received, 7, 100, 42), // 1: the same, as peer got it: not again
            message(1040, 43, Direction::Sent, 8, 100, 42),     // 2: peer's reply: drawn from app's side
            message(1041, 42, Direction::Received, 8, 100, 43), // 3: app gets the reply
            message(1500, 42, Direction::Sent, 0, 0, -1),       // 4: to a process that does not report
            message(2000, 42, Direction::Sent, 7, 101, 43),     // 5: a request refused...
            message(2100, 42, Direction::Received, 9, 101, 43), // 6: ...with an error reply
        };
        MessageLog log;
        log.append(messages);
        const TimelineData data = buildTimeline(log);
        QCOMPARE(data.lanes, (QList<qint64>{42, 43, -1}));
        QCOMPARE(data.laneNames.at(0), QStringLiteral("app [42]"));
        std::vector<int> rows;
        for (const TimelineArrow &arrow : data.arrows)
            rows.push_back(arrow.logRow);
        QCOMPARE(rows, (std::vector<int>{0, 3, 4, 5, 6}));
        QCOMPARE(data.arrows[0].kind, TimelineArrow::Request);
        QCOMPARE(data.arrows[0].from, 0);
        QCOMPARE(data.arrows[0].to, 1);
        QCOMPARE(data.arrows[1].kind, TimelineArrow::Answer);
        QCOMPARE(data.arrows[1].from, 1);
        QCOMPARE(data.arrows[2].to, 2); // the lane of those not reporting
        QCOMPARE(data.arrows[4].kind, TimelineArrow::ErrorAnswer);
        QCOMPARE(data.pairs.size(), std::size_t(2));
        QCOMPARE(data.pairs[0].answered - data.pairs[0].sent, 41);
        QVERIFY(!data.pairs[0].error);
        QCOMPARE(data.pairs[1].answered - data.pairs[1].sent, 100);
        QVERIFY(data.pairs[1].error);

        // Clicking an arrow in the window shows its message in the log.
        Traffic traffic;
        MainWindow window(&traffic, QStringLiteral("timeline-test"));
        window.log()->append(messages);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.topTabs()->setCurrentWidget(window.timeline());
        window.refreshNow();
        window.timeline()->setMsPerPixel(1);
        window.timeline()->verticalScrollBar()->setValue(0);
        QSignalSpy clicked(window.timeline(), &TimelineView::messageClicked);
        QTest::mouseClick(window.timeline()->viewport(), Qt::LeftButton, Qt::NoModifier,
                          window.timeline()->arrowMiddle(1).toPoint());
        QCOMPARE(clicked.size(), 1);
        QCOMPARE(clicked.at(0).at(0).toInt(), 3);
        QCOMPARE(window.bottomTabs()->currentIndex(), 0);
        QCOMPARE(window.logFilter()->mapToSource(window.logView()->currentIndex()).row(), 3);
    }

    // The Latency tab, fed by a real Server whose handler answers after a
    // known time: the type's row counts every request, its median is in the
    // bucket of that time, and the histogram shows it when selected.
    void windowShowsRequestLatency()
    {
        Traffic traffic;
        Collector collector(m_address);
        QVERIFY(collector.listen());
        feed(collector, traffic);
        MainWindow window(&traffic, m_address);
        window.show();
        const QString name = uniqueName("latency");
        ipc::Server server(name);
        QVERIFY(server.listen());
        connect(&server, &ipc::Server::messageReceived, &server, [&](const ipc::Message &m) {
            QTimer::singleShot(40ms, &server, [&server, m] { server.reply(m, m.type, m.data); });
        });
        ipc::Client client(name);
        QVERIFY(client.waitForConnected(30s));
        for (int i = 0; i < 20; ++i)
            QVERIFY(client.call(9, "slow", 30s).isOk());
        LatencyModel *model = window.latencyView()->model();
        QTRY_VERIFY_WITH_TIMEOUT(model->rowOf(QStringLiteral("9")) >= 0
                                     && model->statsAt(model->rowOf(QStringLiteral("9")))->count() == 20,
                                 10000);
        const LatencyStats &stats = *model->statsAt(model->rowOf(QStringLiteral("9")));
        QCOMPARE(stats.ended(RequestOutcome::Reply), 20u);
        QVERIFY2(stats.percentile(0.5) >= 40000, qPrintable(durationText(stats.percentile(0.5))));
        quint64 faster = 0;
        for (int i = 0; i < latencyBucket(40000); ++i)
            faster += stats.buckets[std::size_t(i)];
        QCOMPARE(faster, 0u); // none counted as quicker than the handler
        window.bottomTabs()->setCurrentWidget(window.latencyView());
        QTableView *table = window.latencyView()->table();
        for (int row = 0; row < table->model()->rowCount(); ++row) {
            if (table->model()->index(row, LatencyModel::Type).data().toString() == QStringLiteral("9"))
                table->setCurrentIndex(table->model()->index(row, LatencyModel::Type));
        }
        window.refreshNow(); // the selection stays across a refresh
        QCOMPARE(table->currentIndex().siblingAtColumn(LatencyModel::Type).data().toString(), QStringLiteral("9"));
        QCOMPARE(table->currentIndex().siblingAtColumn(LatencyModel::Requests).data().toULongLong(), 20u);
    }

    // The window, fed by a real Server and Client reporting to a collector:
    // rows for the live endpoints, an edge on the map, sampled messages in
    // the log, and pause holding the log still.
    void windowShowsLiveTraffic()
    {
        Traffic traffic;
        Collector collector(m_address);
        QVERIFY(collector.listen());
        feed(collector, traffic);
        MainWindow window(&traffic, m_address);
        window.show();

        const QString name = uniqueName("monitored");
        ipc::Server server(name);
        QVERIFY(server.listen());
        ipc::Client client(name);
        QVERIFY(client.waitForConnected(30s));
        for (int i = 0; i < 20; ++i)
            QVERIFY(client.write(3, "hello monitor"));

        const auto connectionRows = [&] {
            int rows = 0;
            TreeModel *tree = window.treeModel();
            for (int p = 0; p < tree->rowCount(); ++p) {
                const QModelIndex process = tree->index(p, 0);
                for (int e = 0; e < tree->rowCount(process); ++e)
                    rows += tree->rowCount(tree->index(e, 0, process));
            }
            return rows;
        };
        QTRY_COMPARE_WITH_TIMEOUT(connectionRows(), 2, 10000); // both ends, in one process
        QTRY_VERIFY_WITH_TIMEOUT(window.log()->rowCount() >= 20, 10000);
        QCOMPARE(window.map()->edges().size(), std::size_t(1));
        QCOMPARE(window.map()->edges().front().security, Security::Encrypted);
        QCOMPARE(window.map()->nodes().size(), std::size_t(1)); // a process talking to itself
        QTRY_VERIFY_WITH_TIMEOUT(window.statsModel()->rowCount() >= 1, 10000);

        window.logFilter()->excludeType(3);
        QCOMPARE(window.logFilter()->rowCount(), 0);
        window.logFilter()->clearExcluded();

        window.setPaused(true);
        const int before = window.log()->rowCount();
        for (int i = 0; i < 20; ++i)
            QVERIFY(client.write(4, "while paused"));
        QTRY_VERIFY_WITH_TIMEOUT(window.log()->missedWhilePaused() > 0, 10000);
        QCOMPARE(window.log()->rowCount(), before);
        window.setPaused(false);

        window.topTabs()->setCurrentWidget(window.map());
        const QImage picture = window.map()->grab().toImage();
        QVERIFY(!picture.isNull());
        // The edge is drawn in the encrypted colour somewhere on the map.
        bool found = false;
        const QRgb blue = securityColor(Security::Encrypted).rgb();
        for (int y = 0; y < picture.height() && !found; y += 2) {
            for (int x = 0; x < picture.width() && !found; x += 2)
                found = picture.pixel(x, y) == blue;
        }
        QVERIFY(found);
    }

    // Headless, as a separate process: one line per event, and the counter
    // lines of a full-speed sender add up to exactly what it sent.
    void headlessKeepsExactCounts()
    {
        const QString address = uniqueName("climonitor");
        QProcess monitorProcess;
        QProcessEnvironment quiet = QProcessEnvironment::systemEnvironment();
        quiet.remove(QStringLiteral("IPC_MONITOR"));
        monitorProcess.setProcessEnvironment(quiet);
        monitorProcess.start(QStringLiteral(IPC_MONITOR_PATH), {QStringLiteral("--cli"), QStringLiteral("--address"), address});
        QVERIFY(monitorProcess.waitForStarted(10000));
        QByteArray errors;
        QTRY_VERIFY_WITH_TIMEOUT((errors += monitorProcess.readAllStandardError()).contains("collecting at"), 10000);

        constexpr int count = 20000;
        QProcess sink;
        QProcess burst;
        QVERIFY(startReportingTraffic(address, uniqueName("clisink"), int(count), sink, burst));
        QVERIFY(waitForExit(burst));
        QCOMPARE(burst.exitCode(), 0);

        const QString sinkPid = QStringLiteral("[%1]").arg(sink.processId());
        QByteArray output;
        const auto received = [&] {
            output += monitorProcess.readAllStandardOutput();
            qint64 total = 0;
            const QRegularExpression row(QStringLiteral(R"(connection \d+ in type 1: (\d+) message)"));
            for (const QString &line : QString::fromUtf8(output).split(QLatin1Char('\n'))) {
                if (!line.contains(sinkPid))
                    continue;
                const QRegularExpressionMatch match = row.match(line);
                total += match.hasMatch() ? match.captured(1).toLongLong() : 0;
            }
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(received(), qint64(count), 30000);
        QVERIFY(output.contains("established"));
        QVERIFY(output.contains("hello"));
        // Every line in time order (a step back of hours is midnight).
        QTime previous;
        for (const QString &line : QString::fromUtf8(output).split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            const QTime time = QTime::fromString(line.left(12), QStringLiteral("HH:mm:ss.zzz"));
            QVERIFY2(time.isValid(), qPrintable(line));
            QVERIFY2(!previous.isValid() || previous <= time || previous.msecsTo(time) < -12 * 3600 * 1000,
                     qPrintable(QStringLiteral("%1 after %2").arg(line, previous.toString(QStringLiteral("HH:mm:ss.zzz")))));
            previous = time;
        }
        stopPeer(sink);
        stopPeer(monitorProcess);
    }

    // --json: each event a JSON object; Counters and MessageSamples one per
    // row, the row's fields named.
    void eventsAsJson()
    {
        Traffic traffic;
        script(traffic);
        QCborArray sample{qint64(1234), 5, 1, 3, 9, QByteArray("hi\x01"), QStringLiteral("thermostat.boost(int)"),
                          QCborArray{5}};
        QList<EventLine> lines = eventJson(traffic.processOf(7), EventType::MessageSamples,
                                           map({{Key::Time, 1300}, {Key::Rows, QCborArray{sample}}}), 2000);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines.at(0).time, 1234);
        QJsonObject object = QJsonDocument::fromJson(lines.at(0).text.toUtf8()).object();
        QCOMPARE(object.value(QStringLiteral("event")).toString(), QStringLiteral("MessageSamples"));
        QCOMPARE(object.value(QStringLiteral("process")).toString(), QStringLiteral("app"));
        QCOMPARE(object.value(QStringLiteral("pid")).toInteger(), 42);
        QCOMPARE(object.value(QStringLiteral("direction")).toString(), QStringLiteral("out"));
        QCOMPARE(object.value(QStringLiteral("name")).toString(), QStringLiteral("thermostat.boost(int)"));
        QCOMPARE(object.value(QStringLiteral("arguments")).toArray(), QJsonArray{5});
        QCOMPARE(QByteArray::fromBase64(object.value(QStringLiteral("payload")).toString().toLatin1()), QByteArray("hi\x01"));

        lines = eventJson(traffic.processOf(7), EventType::Counters, counters({{5, 0, 1, 10, 100, 8, 12}, {5, 1, 2, 3, 30, 10, 10}}), 2000);
        QCOMPARE(lines.size(), 2);
        object = QJsonDocument::fromJson(lines.at(0).text.toUtf8()).object();
        QCOMPARE(object.value(QStringLiteral("count")).toInteger(), 10);
        QCOMPARE(object.value(QStringLiteral("minSize")).toInteger(), 8);
        QCOMPARE(object.value(QStringLiteral("direction")).toString(), QStringLiteral("in"));

        lines = eventJson(traffic.processOf(7), EventType::ConnectionClosed,
                          map({{Key::Connection, 5}, {Key::Error, QStringLiteral("ConnectionLost")},
                               {Key::Reason, QStringLiteral("the peer vanished")}}), 2000);
        object = QJsonDocument::fromJson(lines.at(0).text.toUtf8()).object();
        QCOMPARE(object.value(QStringLiteral("event")).toString(), QStringLiteral("ConnectionClosed"));
        QCOMPARE(object.value(QStringLiteral("reason")).toString(), QStringLiteral("the peer vanished"));
        QCOMPARE(object.value(QStringLiteral("time")).toInteger(), 2000);
    }

    // --summary: open connections with their rates and totals, and types.
    void summaryTable()
    {
        Traffic traffic;
        script(traffic);
        traffic.apply(7, EventType::Counters, counters({{5, 0, 1, 10, 100, 10, 10}, {5, 1, 2, 3, 3000, 500, 1500}}));
        traffic.tick();
        const QStringList lines = summaryText(traffic, 0).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY2(lines.at(0).contains(QStringLiteral("1 process(es), 1 open connection(s)")), qPrintable(lines.at(0)));
        const QStringList connection = lines.at(2).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        // No delivery state from this (version 1) reporter: "-".
        QCOMPARE(connection, (QStringList{QStringLiteral("app[42]"), QStringLiteral("5"), QStringLiteral("peer[43]"),
                                          QStringLiteral("authenticated"), QStringLiteral("10"), QStringLiteral("3.0"),
                                          QStringLiteral("10"), QStringLiteral("3"), QStringLiteral("-"),
                                          QStringLiteral("-")}));
        QCOMPARE(lines.at(5).split(QLatin1Char(' '), Qt::SkipEmptyParts),
                 (QStringList{QStringLiteral("2"), QStringLiteral("3.0"), QStringLiteral("3"), QStringLiteral("3000"),
                              QStringLiteral("500"), QStringLiteral("1500")}));

        const QJsonObject json = summaryJson(traffic, 77);
        QCOMPARE(json.value(QStringLiteral("event")).toString(), QStringLiteral("Summary"));
        QCOMPARE(json.value(QStringLiteral("connections")).toArray().at(0).toObject().value(QStringLiteral("received")).toInteger(), 10);
        QCOMPARE(json.value(QStringLiteral("types")).toArray().size(), 2);
        QCOMPARE(json.value(QStringLiteral("types")).toArray().at(1).toObject().value(QStringLiteral("bytes")).toInteger(), 3000);

        // With delivery state: 3 unconfirmed of a 64-message window and 2 queued.
        traffic.apply(7, EventType::Delivery,
                      map({{Key::Time, 0},
                           {Key::Rows, QCborArray{QCborArray{5, 3, 300, 64, 1 << 20, 2, 200, 0, 0, 0, 0, 0, 0, true, true}}}}));
        const QStringList withDelivery = summaryText(traffic, 0).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(withDelivery.at(2).split(QLatin1Char(' '), Qt::SkipEmptyParts).mid(8),
                 (QStringList{QStringLiteral("5"), QStringLiteral("5%"), QStringLiteral("flowing")}));
        const QJsonObject delivery = summaryJson(traffic, 77).value(QStringLiteral("connections")).toArray().at(0)
                                         .toObject().value(QStringLiteral("delivery")).toObject();
        QCOMPARE(delivery.value(QStringLiteral("unconfirmed")).toInteger(), 3);
        QCOMPARE(delivery.value(QStringLiteral("queued")).toInteger(), 2);
        QCOMPARE(delivery.value(QStringLiteral("state")).toString(), QStringLiteral("flowing"));
    }

    // The headless monitor with --summary --json, fed by real processes:
    // its summaries count every message.
    void headlessSummaryCountsEverything()
    {
        const QString address = uniqueName("summarymonitor");
        QProcess monitorProcess;
        QProcessEnvironment quiet = QProcessEnvironment::systemEnvironment();
        quiet.remove(QStringLiteral("IPC_MONITOR"));
        monitorProcess.setProcessEnvironment(quiet);
        monitorProcess.start(QStringLiteral(IPC_MONITOR_PATH),
                             {QStringLiteral("--summary"), QStringLiteral("1"), QStringLiteral("--json"), QStringLiteral("--address"), address});
        QVERIFY(monitorProcess.waitForStarted(10000));
        QByteArray errors;
        QTRY_VERIFY_WITH_TIMEOUT((errors += monitorProcess.readAllStandardError()).contains("collecting at"), 10000);

        constexpr int count = 5000;
        QProcess sink;
        QProcess burst;
        QVERIFY(startReportingTraffic(address, uniqueName("summarysink"), count, sink, burst));
        QVERIFY(waitForExit(burst));
        QCOMPARE(burst.exitCode(), 0);
        QByteArray output;
        qint64 lastCount = 0;
        const auto counted = [&] {
            output += monitorProcess.readAllStandardOutput();
            for (const QByteArray &line : output.split('\n')) {
                const QJsonObject summary = QJsonDocument::fromJson(line).object();
                if (summary.value(QStringLiteral("event")).toString() != QStringLiteral("Summary"))
                    continue;
                for (const QJsonValue type : summary.value(QStringLiteral("types")).toArray()) {
                    if (type.toObject().value(QStringLiteral("type")).toInteger() == 1)
                        lastCount = type.toObject().value(QStringLiteral("messages")).toInteger();
                }
            }
            return lastCount;
        };
        QTRY_COMPARE_WITH_TIMEOUT(counted(), qint64(count), 30000);
        QVERIFY(!output.contains("MessageSamples")); // a summary instead of events
        stopPeer(sink);
        stopPeer(monitorProcess);
    }

    // The window comes back as the user left it: size, splitter, columns and tabs.
    void windowRemembersItsLayout()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("monitor.conf")), QSettings::IniFormat);
        Traffic traffic;
        QList<int> sizes;
        {
            MainWindow window(&traffic, QStringLiteral("layout-test"));
            window.restoreLayout(&settings); // nothing saved yet: the defaults
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(900, 640);
            window.splitter()->setSizes({150, 400});
            sizes = window.splitter()->sizes();
            window.logView()->horizontalHeader()->moveSection(0, 2);
            window.logView()->horizontalHeader()->setSortIndicator(1, Qt::DescendingOrder);
            window.bottomTabs()->setCurrentIndex(1);
            QVERIFY(window.close()); // saves
        }
        MainWindow again(&traffic, QStringLiteral("layout-test"));
        again.restoreLayout(&settings);
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.size(), QSize(900, 640));
        QCOMPARE(again.splitter()->sizes(), sizes);
        QCOMPARE(again.logView()->horizontalHeader()->visualIndex(0), 2);
        QCOMPARE(again.logView()->horizontalHeader()->sortIndicatorSection(), 1);
        QCOMPARE(again.bottomTabs()->currentIndex(), 1);
    }

    // Counters and samples come in batches with times before the events
    // printed on arrival: the headless output waits a moment and sorts.
    void headlessLinesInTimeOrder()
    {
        TimeOrderedLines ordered;
        ordered.add({{1000, QStringLiteral("event at 1000")}});
        ordered.add({{700, QStringLiteral("sample at 700")}, {900, QStringLiteral("sample at 900")}});
        ordered.add({{1000, QStringLiteral("second event at 1000")}});
        QCOMPARE(ordered.takeReady(1500), QStringList{}); // nothing a second old yet
        QCOMPARE(ordered.takeReady(1950), (QStringList{QStringLiteral("sample at 700"), QStringLiteral("sample at 900")}));
        ordered.add({{600, QStringLiteral("late sample at 600")}}); // later than the hold: out with the next
        QCOMPARE(ordered.takeReady(2000), (QStringList{QStringLiteral("late sample at 600"), QStringLiteral("event at 1000"),
                                                       QStringLiteral("second event at 1000")}));
        ordered.add({{5000, QStringLiteral("last")}});
        QCOMPARE(ordered.takeAll(), QStringList{QStringLiteral("last")});
        QVERIFY(ordered.isEmpty());
    }

    // However the monitor ends, the demo's helper processes end with it
    // and remove their socket files; and a reporter that started before
    // the monitor answered has dropped nothing worth a line.
    void demoPeersEndWithTheMonitor_data()
    {
        QTest::addColumn<QString>("how");
        for (const char *how : {"quit", "SIGTERM", "SIGINT", "SIGKILL", "lost display"})
            QTest::newRow(how) << QString::fromLatin1(how);
    }

    void demoPeersEndWithTheMonitor()
    {
        QFETCH(QString, how);
        QProcess display;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("IPC_MONITOR"));
        QStringList arguments{QStringLiteral("--demo"), QStringLiteral("--address"), uniqueName("demomonitor")};
        if (how == QLatin1String("lost display")) {
            const QString xvfb = QStandardPaths::findExecutable(QStringLiteral("Xvfb"));
            if (xvfb.isEmpty())
                QSKIP("Xvfb is not installed (scripts/setup.sh installs it)");
            // -displayfd: Xvfb picks a free display and says which.
            display.start(xvfb, {QStringLiteral("-displayfd"), QStringLiteral("1"), QStringLiteral("-nolisten"),
                                 QStringLiteral("tcp")});
            QVERIFY(display.waitForStarted(10000));
            QByteArray number;
            QTRY_VERIFY_WITH_TIMEOUT((number += display.readAllStandardOutput()).contains('\n'), 30000);
            environment.insert(QStringLiteral("DISPLAY"), QLatin1Char(':') + QString::fromLatin1(number.trimmed()));
            environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
        } else {
            arguments << QStringLiteral("--cli");
        }
        if (how == QLatin1String("quit"))
            arguments << QStringLiteral("--quit-after") << QStringLiteral("15000");
        QProcess monitorProcess;
        monitorProcess.setProcessEnvironment(environment);
        monitorProcess.start(QStringLiteral(IPC_MONITOR_PATH), arguments);
        QVERIFY(monitorProcess.waitForStarted(10000));
        const qint64 monitorPid = monitorProcess.processId();
        const QStringList sockets{QStringLiteral("/tmp/ipc-demo-%1-chat.sock").arg(monitorPid),
                                  QStringLiteral("/tmp/ipc-demo-%1-secure.sock").arg(monitorPid),
                                  QStringLiteral("/tmp/ipc-demo-%1-legacy.sock").arg(monitorPid),
                                  QStringLiteral("/tmp/ipc-demo-%1-feed.sock").arg(monitorPid)};
        const auto socketsExist = [&] {
            return std::all_of(sockets.begin(), sockets.end(), [](const QString &path) { return QFile::exists(path); });
        };
        QList<qint64> peers;
        QTRY_VERIFY_WITH_TIMEOUT((peers = childrenOf(monitorPid)).size() == 3 && socketsExist(), 15000);
        QVERIFY2(monitorProcess.state() == QProcess::Running, "the monitor ended before its helpers were up");
        const bool headless = how != QLatin1String("lost display");
        QByteArray output; // headless: what it printed; the demo's connections first, then the end
        if (headless)
            QTRY_VERIFY2_WITH_TIMEOUT((output += monitorProcess.readAllStandardOutput()).contains("established"),
                                      "the monitor saw no demo connection", 60000);

        if (how == QLatin1String("SIGTERM"))
            ::kill(pid_t(monitorPid), SIGTERM); // the monitor this test started, alone
        else if (how == QLatin1String("SIGINT"))
            ::kill(pid_t(monitorPid), SIGINT);
        else if (how == QLatin1String("SIGKILL"))
            ::kill(pid_t(monitorPid), SIGKILL);
        else if (how == QLatin1String("lost display"))
            display.kill(); // the X server this test started
        QVERIFY(waitForExit(monitorProcess));
        for (const qint64 peer : peers)
            QTRY_VERIFY2_WITH_TIMEOUT(hasEnded(peer), qPrintable(QStringLiteral("demo helper %1 still runs").arg(peer)), 30000);
        for (const QString &path : sockets)
            QVERIFY2(!QFile::exists(path), qPrintable(path + QStringLiteral(" is left behind")));
        if (how == QLatin1String("SIGTERM") || how == QLatin1String("SIGINT") || how == QLatin1String("quit")) {
            // It printed what it held back before it ended.
            output += monitorProcess.readAllStandardOutput();
            QVERIFY2(!output.contains("dropped:"), output.constData());
            QCOMPARE(monitorProcess.exitStatus(), QProcess::NormalExit); // it ended by returning
            QVERIFY(!QFile::exists(socketPathFor(arguments.at(2))));  // and removed its own socket
        }
        stopPeer(display);
    }

    // The window under a sender at full speed in other processes: its
    // totals are exact and its log stays within the cap.
    void windowKeepsUpWithAFastSender()
    {
        Traffic traffic;
        const QString address = uniqueName("guimonitor");
        Collector collector(address);
        QVERIFY(collector.listen());
        feed(collector, traffic);
        MainWindow window(&traffic, address);
        window.log()->setCap(500);
        window.show();

        constexpr quint64 count = 100000;
        QProcess sink;
        QProcess burst;
        QVERIFY(startReportingTraffic(address, uniqueName("guisink"), int(count), sink, burst));
        const auto sinkReceived = [&] {
            const auto process = traffic.processes().find(sink.processId());
            if (process == traffic.processes().end())
                return quint64(0);
            quint64 total = 0;
            for (const auto &connection : process->second.connections)
                total += connection.second.received.count;
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(sinkReceived(), count, 60000);
        QVERIFY(waitForExit(burst));
        QVERIFY(window.log()->rowCount() <= 500);
        QVERIFY(window.log()->rowCount() > 0);
        stopPeer(sink);
    }

private:
    const QString m_address = uniqueName("tstmonitor");
};

QTEST_MAIN(TestMonitor)
#include "tst_monitor.moc"
