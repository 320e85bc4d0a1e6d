// ipc_objects_bench: libipc's remote objects side by side with Qt Remote
// Objects, and with libipc's own messages and requests in the same run.
//
//   ipc_objects_bench [--quick] [--json FILE] [--only IMPL,...]
//
// Each implementation's source object runs in a peer process (this
// program with --peer IMPL ADDRESS), its replica here, over a local socket:
//   call       a method taking and returning 64 bytes, one at a time:
//              median and p99 round trip (us)
//   signals    the source emits 64-byte signals as fast as it can: signals
//              per second arriving at the replica
//   latency    one signal at a time: median and p99 from the source's emit
//              to the replica's slot (us, CLOCK_MONOTONIC in the signal)
//   property   the replica asks for a new value, the source sets it, the
//              replica's change signal fires: median (us)
// and, to the same libipc peer process, libipc's own request/reply round
// trip and one-way 64-byte message rate.
#include <ipc/client.h>
#include <ipc/replica.h>
#include <ipc/server.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTextStream>
#include <QtEndian>

#ifdef IPC_BENCH_HAVE_QTRO
#include <QRemoteObjectDynamicReplica>
#include <QRemoteObjectHost>
#include <QRemoteObjectNode>
#include <QRemoteObjectPendingCallWatcher>
#endif

#include <algorithm>
#include <functional>
#include <memory>
#include <time.h>
#include <vector>

using namespace std::chrono_literals;

namespace {

qint64 monotonicNs()
{
    timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// The source both implementations expose.
class BenchSource : public QObject
{
    Q_OBJECT
    Q_PROPERTY(int level READ level WRITE setLevel NOTIFY levelChanged)
public:
    int level() const { return m_level; }

public Q_SLOTS:
    QByteArray echo(const QByteArray &payload) { return payload; }
    void burst(int count, const QByteArray &payload)
    {
        for (int i = 0; i < count; ++i)
            Q_EMIT data(payload);
    }
    void stamp() { Q_EMIT stamped(monotonicNs()); }
    void setLevel(int level)
    {
        if (level == m_level)
            return;
        m_level = level;
        Q_EMIT levelChanged(level);
    }

Q_SIGNALS:
    void data(const QByteArray &payload);
    void stamped(qint64 ns);
    void levelChanged(int level);

private:
    int m_level = 0;
};

// The typed replica a libipc user would have (ipc-repc writes the same).
class BenchReplica : public ipc::Replica
{
    Q_OBJECT
    Q_CLASSINFO(
        "ipc.methods", "QByteArray echo(QByteArray);void burst(int,QByteArray);void stamp()")
    Q_CLASSINFO("ipc.writable", "level")
    Q_PROPERTY(int level READ level NOTIFY levelChanged)
public:
    explicit BenchReplica(QObject *parent = nullptr)
        : ipc::Replica(parent)
    {
    }
    int level() const { return propertyValue("level").toInt(); }
    QFuture<QByteArray> echo(const QByteArray &payload)
    {
        return invoke<QByteArray>("echo(QByteArray)", payload);
    }
    QFuture<void> burst(int count, const QByteArray &payload)
    {
        return invoke<void>("burst(int,QByteArray)", count, payload);
    }
    QFuture<void> stamp() { return invoke<void>("stamp()"); }
    QFuture<void> setLevel(int level) { return writeProperty("level", level); }
Q_SIGNALS:
    void data(const QByteArray &payload);
    void stamped(qint64 ns);
    void levelChanged(int level);
};

// Runs the event loop until done() or two minutes.
bool runUntil(const std::function<bool()> &done)
{
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > 120000)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    }
    return true;
}

int failures = 0;

double percentile(std::vector<qint64> samples, int percent)
{
    if (samples.empty())
        return 0;
    std::sort(samples.begin(), samples.end());
    return double(samples[samples.size() * size_t(percent) / 100]) / 1000.0;
}

// What each implementation's replica side does; the loops are shared.
class Side
{
public:
    virtual ~Side() = default;
    virtual bool connect(const QString &address) = 0;
    virtual void call(const QByteArray &payload, std::function<void()> done) = 0;
    virtual void burst(int count, const QByteArray &payload) = 0;
    virtual void stamp() = 0;
    virtual void setLevel(int level) = 0;
    std::function<void()> onData;
    std::function<void(qint64)> onStamped;
    std::function<void(int)> onLevel;
};

class LibipcSide : public Side
{
public:
    explicit LibipcSide(bool encrypted)
    {
        m_config.encryptionRequired = encrypted;
        m_config.writeQueueLimit = 1 << 30;
        m_config.writeQueueBytes = 0;
    }
    bool connect(const QString &address) override
    {
        m_client = std::make_unique<ipc::Client>(address, m_config);
        m_replica.reset(m_client->acquire<BenchReplica>(QStringLiteral("bench")));
        QObject::connect(m_replica.get(), &BenchReplica::data, [this] { onData(); });
        QObject::connect(
            m_replica.get(), &BenchReplica::stamped, [this](qint64 ns) { onStamped(ns); });
        QObject::connect(
            m_replica.get(), &BenchReplica::levelChanged, [this](int level) { onLevel(level); });
        return m_replica->waitForValid(30s);
    }
    void call(const QByteArray &payload, std::function<void()> done) override
    {
        m_replica->echo(payload).then(m_replica.get(), [done](const QByteArray &) { done(); });
    }
    void burst(int count, const QByteArray &payload) override { m_replica->burst(count, payload); }
    void stamp() override { m_replica->stamp(); }
    void setLevel(int level) override { m_replica->setLevel(level); }
    ipc::Client &client() { return *m_client; }

private:
    ipc::ClientConfig m_config;
    std::unique_ptr<ipc::Client> m_client;
    std::unique_ptr<BenchReplica> m_replica;
};

#ifdef IPC_BENCH_HAVE_QTRO
// A dynamic replica offers old-style connections only: this receives them.
class QtroReceiver : public QObject
{
    Q_OBJECT
public:
    std::function<void()> onData;
    std::function<void(qint64)> onStamped;
    std::function<void(int)> onLevel;
public Q_SLOTS:
    void data(const QByteArray &) { onData(); }
    void stamped(qint64 ns) { onStamped(ns); }
    void levelChanged(int level) { onLevel(level); }
};

class QtroSide : public Side
{
public:
    bool connect(const QString &address) override
    {
        m_node = std::make_unique<QRemoteObjectNode>();
        if (!m_node->connectToNode(QUrl(address)))
            return false;
        m_replica.reset(m_node->acquireDynamic(QStringLiteral("bench")));
        if (!m_replica->waitForSource(30000))
            return false;
        m_receiver.onData = [this] { onData(); };
        m_receiver.onStamped = [this](qint64 ns) { onStamped(ns); };
        m_receiver.onLevel = [this](int level) { onLevel(level); };
        QObject::connect(
            m_replica.get(), SIGNAL(data(QByteArray)), &m_receiver, SLOT(data(QByteArray)));
        QObject::connect(
            m_replica.get(), SIGNAL(stamped(qint64)), &m_receiver, SLOT(stamped(qint64)));
        QObject::connect(
            m_replica.get(), SIGNAL(levelChanged(int)), &m_receiver, SLOT(levelChanged(int)));
        return true;
    }
    void call(const QByteArray &payload, std::function<void()> done) override
    {
        QRemoteObjectPendingCall call;
        QMetaObject::invokeMethod(m_replica.get(), "echo",
            Q_RETURN_ARG(QRemoteObjectPendingCall, call), Q_ARG(QByteArray, payload));
        auto *watcher = new QRemoteObjectPendingCallWatcher(call, m_replica.get());
        QObject::connect(watcher, &QRemoteObjectPendingCallWatcher::finished, m_replica.get(),
            [done](QRemoteObjectPendingCallWatcher *w) {
                w->deleteLater();
                done();
            });
    }
    void burst(int count, const QByteArray &payload) override
    {
        QMetaObject::invokeMethod(
            m_replica.get(), "burst", Q_ARG(int, count), Q_ARG(QByteArray, payload));
    }
    void stamp() override { QMetaObject::invokeMethod(m_replica.get(), "stamp"); }
    void setLevel(int level) override { m_replica->setProperty("level", level); }

private:
    std::unique_ptr<QRemoteObjectNode> m_node;
    std::unique_ptr<QRemoteObjectDynamicReplica> m_replica;
    QtroReceiver m_receiver;
};
#endif

QJsonObject measure(Side &side, bool quick)
{
    QJsonObject out;
    const QByteArray payload(64, 'x');
    // Method call round trip.
    {
        const int count = quick ? 300 : 5000;
        std::vector<qint64> samples;
        QElapsedTimer clock;
        std::function<void()> next = [&] {
            clock.start();
            side.call(payload, [&] {
                samples.push_back(clock.nsecsElapsed());
                if (int(samples.size()) < count)
                    next();
            });
        };
        next();
        if (!runUntil([&] { return int(samples.size()) >= count; }))
            ++failures;
        out[QStringLiteral("call_median_us")] = percentile(samples, 50);
        out[QStringLiteral("call_p99_us")] = percentile(samples, 99);
    }
    // Signal rate.
    {
        const int count = quick ? 20000 : 200000;
        int arrived = 0;
        side.onData = [&] { ++arrived; };
        QElapsedTimer clock;
        clock.start();
        side.burst(count, payload);
        if (!runUntil([&] { return arrived >= count; }))
            ++failures;
        out[QStringLiteral("signals_per_s")] = arrived / (double(clock.nsecsElapsed()) / 1e9);
    }
    // Signal latency.
    {
        const int count = quick ? 300 : 5000;
        std::vector<qint64> samples;
        side.onStamped = [&](qint64 ns) {
            samples.push_back(monotonicNs() - ns);
            if (int(samples.size()) < count)
                side.stamp();
        };
        side.stamp();
        if (!runUntil([&] { return int(samples.size()) >= count; }))
            ++failures;
        out[QStringLiteral("signal_latency_median_us")] = percentile(samples, 50);
        out[QStringLiteral("signal_latency_p99_us")] = percentile(samples, 99);
    }
    // Property change to notification.
    {
        const int count = quick ? 300 : 5000;
        std::vector<qint64> samples;
        QElapsedTimer clock;
        int level = 0;
        side.onLevel = [&](int value) {
            if (value != level)
                return;
            samples.push_back(clock.nsecsElapsed());
            if (int(samples.size()) < count) {
                clock.start();
                side.setLevel(++level);
            }
        };
        clock.start();
        side.setLevel(++level);
        if (!runUntil([&] { return int(samples.size()) >= count; }))
            ++failures;
        out[QStringLiteral("property_median_us")] = percentile(samples, 50);
    }
    return out;
}

// libipc's own request/reply and one-way messages, to the same peer.
void measureMessages(ipc::Client &client, bool quick, QJsonObject &out)
{
    const QByteArray payload(64, 'x');
    const int calls = quick ? 300 : 5000;
    std::vector<qint64> samples;
    QElapsedTimer clock;
    std::function<void()> next = [&] {
        clock.start();
        client.request(1, payload).then(&client, [&](const ipc::Reply &) {
            samples.push_back(clock.nsecsElapsed());
            if (int(samples.size()) < calls)
                next();
        });
    };
    next();
    if (!runUntil([&] { return int(samples.size()) >= calls; }))
        ++failures;
    out[QStringLiteral("request_median_us")] = percentile(samples, 50);
    const int count = quick ? 20000 : 200000;
    clock.start();
    for (int i = 0; i < count; ++i) {
        client.write(2, payload);
        if (i % 256 == 255)
            QCoreApplication::processEvents();
    }
    const ipc::Reply counted = client.call(3, QByteArray(), 120s);
    const qint64 arrived = counted.isOk() ? counted.message.data.toLongLong() : 0;
    if (arrived != count)
        ++failures;
    out[QStringLiteral("messages_per_s")] = count / (double(clock.nsecsElapsed()) / 1e9);
}

int runPeer(const QString &impl, const QString &address)
{
    BenchSource source;
    std::unique_ptr<ipc::Server> server;
    qint64 received = 0;
#ifdef IPC_BENCH_HAVE_QTRO
    std::unique_ptr<QRemoteObjectHost> host;
    if (impl == QLatin1String("qtro-local")) {
        const QString url = QStringLiteral("local:%1").arg(address.section(QLatin1Char('/'), -1));
        host = std::make_unique<QRemoteObjectHost>(QUrl(url));
        if (!host->enableRemoting(&source, QStringLiteral("bench")))
            return 1;
        QTextStream(stdout) << "ready " << url << Qt::endl;
        return QCoreApplication::exec();
    }
#endif
    ipc::ServerConfig config;
    config.encryption = impl == QLatin1String("libipc-local-encrypted");
    config.writeQueueLimit = 1 << 30;
    config.writeQueueBytes = 0;
    server = std::make_unique<ipc::Server>(address, config);
    QObject::connect(server.get(), &ipc::Server::messageReceived, [&](const ipc::Message &m) {
        if (m.isRequest())
            server->reply(m, 1, m.type == 3 ? QByteArray::number(received) : m.data);
        else
            ++received;
    });
    if (!server->exposeObject(&source, QStringLiteral("bench")) || !server->listen())
        return 1;
    QTextStream(stdout) << "ready " << server->listeningAddress() << Qt::endl;
    return QCoreApplication::exec();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.value(1) == QLatin1String("--peer"))
        return runPeer(args.value(2), args.value(3));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Remote objects: libipc against Qt Remote Objects."));
    parser.addHelpOption();
    const QCommandLineOption quickOption(
        QStringLiteral("quick"), QStringLiteral("A few seconds, for a smoke run."));
    const QCommandLineOption jsonOption(QStringLiteral("json"),
        QStringLiteral("Write the figures to FILE."), QStringLiteral("file"));
    const QCommandLineOption onlyOption(QStringLiteral("only"),
        QStringLiteral("Run only these columns (comma-separated), e.g. for a profiler."),
        QStringLiteral("impls"));
    parser.addOptions({ quickOption, jsonOption, onlyOption });
    parser.process(app);
    const bool quick = parser.isSet(quickOption);

    QStringList impls { QStringLiteral("libipc-local-plain"),
        QStringLiteral("libipc-local-encrypted") };
#ifdef IPC_BENCH_HAVE_QTRO
    impls.append(QStringLiteral("qtro-local"));
#endif
    if (parser.isSet(onlyOption)) {
        const QStringList only = parser.value(onlyOption).split(QLatin1Char(','));
        impls.removeIf([&](const QString &impl) { return !only.contains(impl); });
    }
    QJsonObject results;
    for (const QString &impl : impls) {
        QTextStream(stderr) << "run: " << impl << Qt::endl;
        QProcess peer;
        peer.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        const QString path = QStringLiteral("/tmp/ipcobjbench_%1_%2.sock")
                                 .arg(impl)
                                 .arg(QCoreApplication::applicationPid());
        peer.start(
            QCoreApplication::applicationFilePath(), { QStringLiteral("--peer"), impl, path });
        if (!peer.waitForStarted(10000)
            || !runUntil([&] { return peer.canReadLine() || peer.state() != QProcess::Running; })) {
            ++failures;
            continue;
        }
        const QByteArray line = peer.readLine().trimmed();
        const QString address = QString::fromUtf8(line.mid(6));
        std::unique_ptr<Side> side;
#ifdef IPC_BENCH_HAVE_QTRO
        if (impl == QLatin1String("qtro-local"))
            side = std::make_unique<QtroSide>();
#endif
        if (!side)
            side = std::make_unique<LibipcSide>(impl == QLatin1String("libipc-local-encrypted"));
        if (!line.startsWith("ready") || !side->connect(address)) {
            QTextStream(stderr) << "could not reach the " << impl << " peer" << Qt::endl;
            ++failures;
        } else {
            QJsonObject figures = measure(*side, quick);
            if (auto *libipc = dynamic_cast<LibipcSide *>(side.get()))
                measureMessages(libipc->client(), quick, figures);
            results[impl] = figures;
        }
        side.reset();
        peer.terminate();
        if (!peer.waitForFinished(10000))
            peer.kill();
        QFile::remove(path); // a peer ended by a signal leaves its socket and lock files
        QFile::remove(path + QStringLiteral(".lock"));
    }

    QTextStream out(stdout);
    const QList<QPair<QString, QString>> rows { { QStringLiteral("call_median_us"),
                                                    QStringLiteral("method call, median (us)") },
        { QStringLiteral("call_p99_us"), QStringLiteral("method call, p99 (us)") },
        { QStringLiteral("signals_per_s"), QStringLiteral("signals 64 B (/s)") },
        { QStringLiteral("signal_latency_median_us"),
            QStringLiteral("signal latency, median (us)") },
        { QStringLiteral("signal_latency_p99_us"), QStringLiteral("signal latency, p99 (us)") },
        { QStringLiteral("property_median_us"), QStringLiteral("property to notify, median (us)") },
        { QStringLiteral("request_median_us"),
            QStringLiteral("libipc request/reply, median (us)") },
        { QStringLiteral("messages_per_s"), QStringLiteral("libipc messages 64 B (/s)") } };
    out << qSetFieldWidth(36) << Qt::left << QStringLiteral("scenario");
    for (const QString &impl : impls)
        out << qSetFieldWidth(26) << impl;
    out << qSetFieldWidth(0) << Qt::endl;
    for (const auto &row : rows) {
        out << qSetFieldWidth(36) << row.second;
        for (const QString &impl : impls) {
            const QJsonValue value = results[impl].toObject().value(row.first);
            out << qSetFieldWidth(26)
                << (value.isUndefined() ? QStringLiteral("-")
                                        : QString::number(value.toDouble(), 'g', 4));
        }
        out << qSetFieldWidth(0) << Qt::endl;
    }
    out << Qt::endl
        << "goals (libipc plain): method call <= 1.2x its request/reply; signals >= 0.5x its "
           "messages"
        << Qt::endl;
    for (const QString &impl :
        { QStringLiteral("libipc-local-plain"), QStringLiteral("libipc-local-encrypted") }) {
        const QJsonObject f = results[impl].toObject();
        if (f.isEmpty())
            continue;
        out << "  " << impl << ": call "
            << QString::number(f[QStringLiteral("call_median_us")].toDouble()
                       / f[QStringLiteral("request_median_us")].toDouble(),
                   'f', 2)
            << "x request/reply; signals "
            << QString::number(f[QStringLiteral("signals_per_s")].toDouble()
                       / f[QStringLiteral("messages_per_s")].toDouble(),
                   'f', 2)
            << "x messages" << Qt::endl;
    }
    if (parser.isSet(jsonOption)) {
        QFile file(parser.value(jsonOption));
        if (file.open(QIODevice::WriteOnly))
            file.write(QJsonDocument(QJsonObject { { QStringLiteral("quick"), quick },
                                         { QStringLiteral("results"), results } })
                           .toJson());
    }
    if (failures > 0) {
        QTextStream(stderr) << failures << " measurement(s) failed" << Qt::endl;
        return 1;
    }
    return 0;
}

#include "objects_bench.moc"
