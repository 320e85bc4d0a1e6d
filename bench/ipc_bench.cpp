// ipc_bench: libipc side by side with raw Qt sockets, two processes each
// side. Prints a table and writes JSON; see README.md here.
//   ipc_bench [--quick] [--repeat N] [--json FILE] [--only IMPL,IMPL[,no-raw]]
//             [--scenarios rtt,request,oneway64,oneway1m,oneway64m,setup,broadcast,idle,reference]
// Internal: ipc_bench --peer IMPL server|sinks|idle ADDRESS [N] [M]
#include "crypto_reference.h"
#include "transports.h"

#include <ipc/server.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSysInfo>
#include <QTextStream>
#include <QThread>
#include <QMap>
#include <QTimer>
#include <QtEndian>

#include <algorithm>
#include <sys/resource.h>
#include <unistd.h>

namespace {

QByteArray u64(quint64 v)
{
    QByteArray b(8, Qt::Uninitialized);
    qToBigEndian<quint64>(v, b.data());
    return b;
}

QByteArray cpuModel()
{
    QFile info(QStringLiteral("/proc/cpuinfo"));
    if (!info.open(QIODevice::ReadOnly))
        return QByteArray();
    for (const QByteArray &line : info.readAll().split('\n')) {
        if (line.startsWith("model name"))
            return line.mid(line.indexOf(':') + 1).trimmed();
    }
    return QByteArray();
}

quint64 rssBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    return statm.readAll().split(' ').value(1).toULongLong() * quint64(::sysconf(_SC_PAGESIZE));
}

// The peak resident set (VmHWM) since the last resetPeakRss(), in bytes.
quint64 peakRssBytes()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toULongLong() * 1024;
    }
    return 0;
}

// Writing 5 to clear_refs sets the peak back to the current RSS (Linux 4.0).
void resetPeakRss()
{
    QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
    if (clearRefs.open(QIODevice::WriteOnly))
        clearRefs.write("5");
}

void raiseFileLimit()
{
    rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Scenarios that did not complete: the run then exits non-zero, so a smoke
// run cannot pass on figures that measured a failure.
int failedScenarios = 0;

// Runs the event loop until done() or the deadline (benchmarks may wait a
// fixed time; tests never do).
bool runUntil(const std::function<bool()> &done, int timeoutMs = 120000)
{
    QElapsedTimer timer;
    timer.start();
    QEventLoop loop;
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        loop.processEvents(QEventLoop::WaitForMoreEvents, 50);
    }
    return true;
}

// ---------------------------------------------------------------- peer side

int runPeer(const QStringList &args)
{
    const Impl impl = implByName(args.value(2));
    const QString role = args.value(3);
    const QString address = args.value(4);
    QTextStream out(stdout);
    if (role == QLatin1String("server")) {
        auto server = makeServer(impl);
        quint64 sunk = 0;
        BenchServer *s = server.get();
        server->onMessage = [&](quint64 c, const QByteArray &p) {
            switch (p.isEmpty() ? 0 : p.at(0)) {
            case 'e': s->send(c, p); break;
            case 's': ++sunk; break;
            case 'f': s->send(c, u64(sunk)); sunk = 0; break;
            case 'r': s->send(c, u64(rssBytes()) + u64(quint64(s->connectionCount()))); break;
            case 'z': resetPeakRss(); s->send(c, u64(rssBytes())); break;
            case 'p': s->send(c, u64(peakRssBytes())); break;
            }
        };
        if (!server->listen(address))
            return 1;
        out << "ready " << server->address() << Qt::endl;
        return QCoreApplication::exec();
    }
    const int n = args.value(5).toInt();
    const int m = args.value(6).toInt();
    std::vector<std::unique_ptr<BenchClient>> clients;
    for (int i = 0; i < n; ++i) {
        clients.push_back(makeClient(impl));
        BenchClient *c = clients.back().get();
        if (role == QLatin1String("sinks")) {
            auto received = std::make_shared<int>(0);
            c->onMessage = [c, received, m](const QByteArray &) {
                if (++*received == m) {
                    c->send("d");
                    c->flush();
                }
            };
        }
        if (!c->connectTo(address, 30000))
            return 1;
    }
    out << "ready" << Qt::endl;
    return QCoreApplication::exec();
}

// -------------------------------------------------------------- driver side

struct Peer
{
    QProcess process;
    QString address;
    QStringList socketFiles; // the local paths it was given to listen on

    bool start(const Impl &impl, const QStringList &roleArgs)
    {
        for (const QString &argument : roleArgs) {
            if (argument.startsWith(QLatin1Char('/')))
                socketFiles.append(argument);
        }
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(QCoreApplication::applicationFilePath(), QStringList{QStringLiteral("--peer"), impl.name} + roleArgs);
        if (!process.waitForStarted(10000))
            return false;
        if (!runUntil([&] { return process.canReadLine() || process.state() != QProcess::Running; }, 120000))
            return false;
        const QByteArray line = process.readLine().trimmed();
        address = QString::fromUtf8(line.mid(6));
        return line.startsWith("ready");
    }

    ~Peer()
    {
        // SIGTERM first: it ends the peer at once, as SIGKILL would, but lets
        // a profiler the peer runs under (valgrind --trace-children=yes)
        // write its figures.
        process.terminate();
        if (!process.waitForFinished(10000)) {
            process.kill();
            process.waitForFinished(10000);
        }
        // Ended by a signal, a local server leaves its socket and lock files behind.
        for (const QString &path : socketFiles) {
            QFile::remove(path);
            QFile::remove(path + QStringLiteral(".lock"));
        }
    }
};

QString localName(const char *tag)
{
    return QStringLiteral("/tmp/ipcbench_%1_%2.sock").arg(QLatin1String(tag)).arg(QCoreApplication::applicationPid());
}

// PREFIX_median_us and PREFIX_p99_us from nanosecond samples.
void storeLatency(std::vector<qint64> &samples, const QString &prefix, QJsonObject &out)
{
    std::sort(samples.begin(), samples.end());
    out[prefix + QStringLiteral("_median_us")] = double(samples[samples.size() / 2]) / 1000.0;
    out[prefix + QStringLiteral("_p99_us")] = double(samples[samples.size() * 99 / 100]) / 1000.0;
}

struct Figures
{
    QJsonObject values; // scenario -> value
};

// Round trip of a 64-byte message: median and p99 in microseconds.
void roundTrip(const Impl &impl, BenchClient &client, int count, QJsonObject &out)
{
    const QByteArray payload = QByteArray(1, 'e') + QByteArray(63, 'x');
    std::vector<qint64> samples;
    samples.reserve(size_t(count));
    QElapsedTimer clock;
    int warm = count / 10;
    client.onMessage = [&](const QByteArray &) {
        if (warm > 0)
            --warm;
        else
            samples.push_back(clock.nsecsElapsed());
        if (int(samples.size()) < count) {
            clock.start();
            client.send(payload);
            client.flush();
        }
    };
    clock.start();
    client.send(payload);
    client.flush();
    runUntil([&] { return int(samples.size()) >= count; });
    client.onMessage = nullptr;
    if (int(samples.size()) < count) {
        ++failedScenarios;
        qWarning("round trip: %zu of %d answered", samples.size(), count);
        return;
    }
    storeLatency(samples, QStringLiteral("rtt64"), out);
    Q_UNUSED(impl)
}

// Request/reply of a 64-byte payload the server returns: median and p99 in
// microseconds, measured as roundTrip() measures a message echoed back. Each
// request is sent when the previous reply arrives, from the code that
// receives it.
void requestReply(BenchClient &client, int count, QJsonObject &out)
{
    const QByteArray payload(64, 'q');
    std::vector<qint64> samples;
    samples.reserve(size_t(count));
    QElapsedTimer clock;
    int warm = count / 10;
    bool failed = false;
    client.onReply = [&](const QByteArray &reply) {
        if (reply != payload) {
            failed = true;
            return;
        }
        if (warm > 0)
            --warm;
        else
            samples.push_back(clock.nsecsElapsed());
        if (int(samples.size()) < count) {
            clock.start();
            failed = !client.request(payload);
        }
    };
    clock.start();
    failed = !client.request(payload);
    runUntil([&] { return failed || int(samples.size()) >= count; });
    client.onReply = nullptr;
    if (failed || int(samples.size()) < count) {
        ++failedScenarios;
        qWarning("request/reply: failed after %zu replies", samples.size());
        return;
    }
    storeLatency(samples, QStringLiteral("rr64"), out);
}

// One-way throughput: count messages of `size` bytes, then a flush request
// whose reply says how many arrived. Returns messages per second.
double oneWay(BenchClient &client, int count, int size)
{
    QByteArray payload(size, 'x');
    payload[0] = 's';
    bool replied = false;
    quint64 arrived = 0;
    client.onMessage = [&](const QByteArray &p) {
        arrived = qFromBigEndian<quint64>(p.constData());
        replied = true;
    };
    QElapsedTimer clock;
    clock.start();
    // Return to the event loop every 256 messages or 1 MiB, as an
    // application's loop would, so the socket drains while we produce.
    const int yieldEvery = qMax(1, qMin(256, (1 << 20) / size));
    for (int i = 0; i < count; ++i) {
        client.send(payload);
        if (i % yieldEvery == yieldEvery - 1)
            QCoreApplication::processEvents();
    }
    client.send("f");
    client.flush();
    runUntil([&] { return replied; });
    const double seconds = double(clock.nsecsElapsed()) / 1e9;
    if (arrived != quint64(count)) {
        ++failedScenarios;
        qWarning("one-way: %llu of %d arrived", arrived, count);
    }
    return count / seconds;
}

// One-way 64 MiB messages on a fresh server process, and the peak RSS of
// each side while they travel (MiB, baseline included): what an
// application sending very large messages pays in memory.
void largeOneWay(const Impl &impl, const QString &serverAddress, bool quick, QJsonObject &out)
{
    Peer server;
    auto client = makeClient(impl);
    if (!server.start(impl, {QStringLiteral("server"), serverAddress}) || !client->connectTo(server.address, 30000)) {
        ++failedScenarios;
        qWarning("one-way 64 MiB: could not reach the %s peer", qPrintable(impl.name));
        return;
    }
    auto ask = [&](const char *command) {
        quint64 answer = 0;
        bool got = false;
        client->onMessage = [&](const QByteArray &p) {
            answer = qFromBigEndian<quint64>(p.constData());
            got = true;
        };
        client->send(command);
        client->flush();
        runUntil([&] { return got; });
        return answer;
    };
    const quint64 receiverStart = ask("z");
    resetPeakRss();
    const quint64 senderStart = rssBytes();
    const int size = 64 << 20;
    out[QStringLiteral("oneway64m_gb_per_s")] = oneWay(*client, quick ? 2 : 10, size) * size / 1e9;
    const quint64 senderPeak = peakRssBytes();
    const quint64 receiverPeak = ask("p");
    out[QStringLiteral("oneway64m_sender_peak_mib")] = double(senderPeak) / (1 << 20);
    out[QStringLiteral("oneway64m_receiver_peak_mib")] = double(receiverPeak) / (1 << 20);
    // What the messages added on top of what each process held before.
    out[QStringLiteral("oneway64m_sender_growth_mib")] = double(senderPeak - qMin(senderPeak, senderStart)) / (1 << 20);
    out[QStringLiteral("oneway64m_receiver_growth_mib")] = double(receiverPeak - qMin(receiverPeak, receiverStart)) / (1 << 20);
}

double setupRate(const Impl &impl, const QString &address, int count)
{
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < count; ++i) {
        auto client = makeClient(impl);
        if (!client->connectTo(address, 30000))
            return 0;
    }
    return count / (double(clock.nsecsElapsed()) / 1e9);
}

// Server here, 100 clients in a peer process; 1 KiB broadcasts.
double broadcastRate(const Impl &impl, int clients, int messages)
{
    auto server = makeServer(impl);
    int done = 0;
    server->onMessage = [&](quint64, const QByteArray &p) {
        if (p == "d")
            ++done;
    };
    if (!server->listen(localName("broadcast")))
        return 0;
    Peer sinks;
    if (!sinks.start(impl, {QStringLiteral("sinks"), server->address(), QString::number(clients), QString::number(messages)}))
        return 0;
    runUntil([&] { return server->connectionCount() >= clients; });
    const QByteArray payload(1024, 'b');
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < messages; ++i) {
        server->broadcast(payload);
        QCoreApplication::processEvents();
    }
    runUntil([&] { return done >= clients; });
    return double(clients) * messages / (double(clock.nsecsElapsed()) / 1e9);
}

// RSS growth of the server process per idle connection.
double idleMemory(const Impl &impl, const QString &address, BenchClient &probe, int connections)
{
    auto askRss = [&](quint64 *rss, quint64 *count) {
        bool got = false;
        probe.onMessage = [&](const QByteArray &p) {
            *rss = qFromBigEndian<quint64>(p.constData());
            *count = qFromBigEndian<quint64>(p.constData() + 8);
            got = true;
        };
        probe.send("r");
        probe.flush();
        runUntil([&] { return got; });
    };
    quint64 before = 0, after = 0, count = 0;
    askRss(&before, &count);
    Peer idle;
    if (!idle.start(impl, {QStringLiteral("idle"), address, QString::number(connections)}))
        return 0;
    do {
        askRss(&after, &count);
    } while (count < quint64(connections + 1));
    return double(after - before) / connections;
}

QStringList selectedScenarios; // empty: all

bool wanted(const char *scenario)
{
    return selectedScenarios.isEmpty() || selectedScenarios.contains(QLatin1String(scenario));
}

QJsonObject runImpl(const Impl &impl, bool quick)
{
    QJsonObject figures;
    const QString serverAddress = impl.local ? localName("server") : QStringLiteral("tcp://127.0.0.1:0");
    {
        // Idle memory first, on a fresh server process, before other
        // scenarios leave freed memory behind for new connections to reuse.
        Peer server;
        auto probe = makeClient(impl);
        if (wanted("idle") && impl.messages() && impl.kind != Impl::Zmq && impl.kind != Impl::Qtro && server.start(impl, {QStringLiteral("server"), serverAddress})
            && probe->connectTo(server.address, 30000))
            figures[QStringLiteral("idle_bytes_per_connection")] = idleMemory(impl, server.address, *probe, quick ? 200 : 1000);
    }
    if (wanted("oneway64m") && impl.messages())
        largeOneWay(impl, serverAddress, quick, figures);
    Peer server;
    if (!server.start(impl, {QStringLiteral("server"), serverAddress})) {
        ++failedScenarios;
        qWarning("could not start the %s peer", qPrintable(impl.name));
        return figures;
    }
    auto client = makeClient(impl);
    if (!client->connectTo(server.address, 30000)) {
        ++failedScenarios;
        qWarning("could not connect to the %s peer", qPrintable(impl.name));
        return figures;
    }
    if (wanted("rtt") && impl.messages())
        roundTrip(impl, *client, quick ? 2000 : 20000, figures);
    if (wanted("request") && impl.requests())
        requestReply(*client, quick ? 2000 : 20000, figures);
    if (!impl.messages())
        return figures; // D-Bus: method calls only
    if (wanted("oneway64"))
        figures[QStringLiteral("oneway64_msgs_per_s")] = oneWay(*client, quick ? 50000 : 500000, 64);
    if (wanted("oneway1m"))
        figures[QStringLiteral("oneway1m_gb_per_s")] = oneWay(*client, quick ? 100 : 1000, 1 << 20) * (1 << 20) / 1e9;
    if (impl.kind == Impl::Zmq)
        return figures; // ZeroMQ connects lazily and learns peers only from their messages
    if (wanted("setup"))
        // Few enough that the client side's TIME_WAIT sockets never exhaust
        // the ephemeral ports over repeated runs.
        figures[QStringLiteral("setup_per_s")] = setupRate(impl, server.address, quick ? 100 : 300);
    if (wanted("broadcast") && impl.kind != Impl::Qtro)
        figures[QStringLiteral("broadcast1k_100_msgs_per_s")] = broadcastRate(impl, 100, quick ? 100 : 1000);
    return figures;
}

const QList<QPair<QString, QString>> scenarios = {
    {QStringLiteral("rtt64_median_us"), QStringLiteral("round trip 64 B, median (us)")},
    {QStringLiteral("rtt64_p99_us"), QStringLiteral("round trip 64 B, p99 (us)")},
    {QStringLiteral("rr64_median_us"), QStringLiteral("request/reply 64 B, median (us) *")},
    {QStringLiteral("rr64_p99_us"), QStringLiteral("request/reply 64 B, p99 (us) *")},
    {QStringLiteral("oneway64_msgs_per_s"), QStringLiteral("one-way 64 B (msgs/s)")},
    {QStringLiteral("oneway1m_gb_per_s"), QStringLiteral("one-way 1 MiB (GB/s)")},
    {QStringLiteral("oneway64m_gb_per_s"), QStringLiteral("one-way 64 MiB (GB/s)")},
    {QStringLiteral("oneway64m_sender_peak_mib"), QStringLiteral("  sender peak RSS (MiB) **")},
    {QStringLiteral("oneway64m_receiver_peak_mib"), QStringLiteral("  receiver peak RSS (MiB) **")},
    {QStringLiteral("oneway64m_sender_growth_mib"), QStringLiteral("  sender peak above start (MiB) **")},
    {QStringLiteral("oneway64m_receiver_growth_mib"), QStringLiteral("  receiver peak above start (MiB) **")},
    {QStringLiteral("broadcast1k_100_msgs_per_s"), QStringLiteral("broadcast 1 KiB to 100 (msgs/s)")},
    {QStringLiteral("setup_per_s"), QStringLiteral("connection set-up (/s)")},
    {QStringLiteral("idle_bytes_per_connection"), QStringLiteral("server RSS per idle connection (B)")},
};

double median(QList<double> values)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

QJsonObject measureReference(bool quick)
{
    const double seconds = quick ? 0.2 : 1.0;
    return QJsonObject{
        {QStringLiteral("openssl_aes256gcm_64_records_per_s"), aesGcmRecordsPerSecond(64, seconds)},
        {QStringLiteral("openssl_aes256gcm_1m_gb_per_s"), aesGcmRecordsPerSecond(1 << 20, seconds) * (1 << 20) / 1e9},
        {QStringLiteral("openssl_x25519_ops_per_s"), x25519OperationsPerSecond(seconds)},
    };
}

QString rawFor(const Impl &impl)
{
    return impl.local ? QStringLiteral("raw-local") : QStringLiteral("raw-tcp");
}

// Request/reply rows are compared with libipc's plain message round trip
// (the same statistic, the same run) rather than with a raw socket, which
// has no replies: for libipc-local-plain that ratio is what a reply costs
// over a message echoed back, and the other columns line up against it.
const QString requestReference = QStringLiteral("libipc-local-plain");

// The machine's limit: every message figure is also compared with it.
const QString limitReference = QStringLiteral("c-unix-socket");
const QStringList limitScenarios = {QStringLiteral("rtt64_median_us"), QStringLiteral("oneway64_msgs_per_s"),
                                    QStringLiteral("oneway1m_gb_per_s"), QStringLiteral("oneway64m_gb_per_s")};

// Peak memory is compared with the message's size, not with another row.
bool isPeakScenario(const QString &scenario)
{
    return scenario.endsWith(QLatin1String("_peak_mib")) || scenario.endsWith(QLatin1String("_growth_mib"));
}

bool isRequestScenario(const QString &scenario)
{
    return scenario.startsWith(QLatin1String("rr64_"));
}

QString roundTripFor(const QString &requestScenario)
{
    return QStringLiteral("rtt64_") + requestScenario.mid(5);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    raiseFileLimit();
    const QStringList args = app.arguments();
    if (args.value(1) == QLatin1String("--peer"))
        return runPeer(args);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Measures libipc against a raw socket of the same transport and against other IPC libraries.\n"
        "Every figure is printed with its ratio to the raw socket, measured in the same run."));
    parser.addHelpOption();
    const QCommandLineOption quickOption(QStringLiteral("quick"), QStringLiteral("A few seconds instead of a minute (a smoke test; the figures are rough)."));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Where the results go (default bench-results.json)."),
                                       QStringLiteral("file"), QStringLiteral("bench-results.json"));
    const QCommandLineOption repeatOption(QStringLiteral("repeat"), QStringLiteral("Measure N times and report the medians (default 1)."),
                                          QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption scenariosOption(QStringLiteral("scenarios"), QStringLiteral("Only these scenarios, comma-separated (listed above)."),
                                             QStringLiteral("list"));
    const QCommandLineOption onlyOption(QStringLiteral("only"), QStringLiteral("Only these rows, comma-separated (listed above); the raw sockets always run, unless the list holds no-raw."),
                                        QStringLiteral("list"));
    parser.addOptions({quickOption, jsonOption, repeatOption, scenariosOption, onlyOption});
    QStringList rowNames;
    for (const Impl &impl : allImpls())
        rowNames.append(impl.name);
    const QStringList scenarioNames = {QStringLiteral("rtt"), QStringLiteral("request"), QStringLiteral("oneway64"),
                                       QStringLiteral("oneway1m"), QStringLiteral("oneway64m"), QStringLiteral("broadcast"),
                                       QStringLiteral("setup"), QStringLiteral("idle"), QStringLiteral("reference")};
    parser.setApplicationDescription(parser.applicationDescription()
                                     + QStringLiteral("\n\nScenarios: ") + scenarioNames.join(QStringLiteral(", "))
                                     + QStringLiteral("\nRows: ") + rowNames.join(QStringLiteral(", ")));
    if (!parser.parse(args)) {
        QTextStream(stderr) << "ipc_bench: " << parser.errorText() << "\n(see ipc_bench --help)" << Qt::endl;
        return 1;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << parser.helpText();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        QTextStream(stderr) << "ipc_bench: unexpected argument \"" << parser.positionalArguments().first()
                            << "\" (see ipc_bench --help)" << Qt::endl;
        return 1;
    }
    const auto unknown = [](const QStringList &given, const QStringList &known, const char *what) {
        for (const QString &name : given) {
            if (!known.contains(name)) {
                QTextStream(stderr) << "ipc_bench: unknown " << what << " \"" << name << "\" (see ipc_bench --help)" << Qt::endl;
                return true;
            }
        }
        return false;
    };
    const bool quick = parser.isSet(quickOption);
    const QString jsonPath = parser.value(jsonOption);
    bool repeatOk = false;
    const int repeats = parser.value(repeatOption).toInt(&repeatOk);
    if (!repeatOk || repeats < 1) {
        QTextStream(stderr) << "ipc_bench: --repeat needs a number of 1 or more" << Qt::endl;
        return 1;
    }
    if (parser.isSet(scenariosOption))
        selectedScenarios = parser.value(scenariosOption).split(QLatin1Char(','));
    if (unknown(selectedScenarios, scenarioNames, "scenario"))
        return 1;
    const QStringList only = parser.isSet(onlyOption) ? parser.value(onlyOption).split(QLatin1Char(',')) : QStringList();
    if (unknown(only, rowNames + QStringList{QStringLiteral("no-raw")}, "row"))
        return 1;
    QList<Impl> impls;
    for (const Impl &impl : allImpls()) {
        if (only.isEmpty() || only.contains(impl.name)
            || ((impl.kind == Impl::Raw || impl.kind == Impl::Unix) && !only.contains(QStringLiteral("no-raw"))))
            impls.append(impl);
    }

    // The monitored row reports telemetry, from both processes, to a
    // collector here that reads and discards it, as ipc-monitor would.
    std::unique_ptr<ipc::Server> collector;
    if (std::any_of(impls.begin(), impls.end(), [](const Impl &impl) { return impl.monitored; })) {
        const QString address = QStringLiteral("ipc-bench-monitor-%1").arg(QCoreApplication::applicationPid());
        qputenv("IPC_MONITOR", address.toUtf8()); // the peers inherit it
        ipc::ServerConfig config;
        config.monitoring = ipc::Monitoring::Off;
        config.maxMessageSize = 16 << 20;
        collector = std::make_unique<ipc::Server>(address, config);
        if (!collector->listen())
            qWarning("telemetry collector: %s", qPrintable(collector->errorString()));
    }

    // Every figure is measured `repeats` times; ratios are taken inside each
    // run (machines drift between runs) and the medians reported.
    QMap<QString, QList<double>> values, ratios, limitRatios; // key: impl/scenario
    QMap<QString, QList<double>> referenceValues;
    QJsonArray runs;
    for (int run = 0; run < repeats; ++run) {
        QJsonObject results;
        for (const Impl &impl : impls) {
            QTextStream(stderr) << "run " << run + 1 << "/" << repeats << ": " << impl.name << Qt::endl;
            results[impl.name] = runImpl(impl, quick);
        }
        const QJsonObject reference = wanted("reference") ? measureReference(quick) : QJsonObject();
        for (auto it = reference.begin(); it != reference.end(); ++it)
            referenceValues[it.key()].append(it.value().toDouble());
        const QJsonObject requestBase = results.value(requestReference).toObject();
        const QJsonObject limit = results.value(limitReference).toObject();
        for (const Impl &impl : impls) {
            const QJsonObject figures = results.value(impl.name).toObject();
            const QJsonObject raw = results.value(rawFor(impl)).toObject();
            for (auto it = figures.begin(); it != figures.end(); ++it) {
                const QString key = impl.name + QLatin1Char('/') + it.key();
                values[key].append(it.value().toDouble());
                const double base = isRequestScenario(it.key()) ? requestBase.value(roundTripFor(it.key())).toDouble()
                    : isPeakScenario(it.key())                  ? 64.0
                                                                : raw.value(it.key()).toDouble();
                if (base > 0)
                    ratios[key].append(it.value().toDouble() / base);
                const double limitBase = limit.value(it.key()).toDouble();
                if (limitScenarios.contains(it.key()) && limitBase > 0)
                    limitRatios[key].append(it.value().toDouble() / limitBase);
            }
            // Request/reply against the same implementation's own message
            // round trip, and against libipc's request/reply.
            const double rr = figures.value(QStringLiteral("rr64_median_us")).toDouble();
            const double ownRtt = figures.value(QStringLiteral("rtt64_median_us")).toDouble();
            const double libipcRr = requestBase.value(QStringLiteral("rr64_median_us")).toDouble();
            if (rr > 0 && ownRtt > 0)
                ratios[impl.name + QStringLiteral("/rr64_vs_own_rtt")].append(rr / ownRtt);
            if (rr > 0 && libipcRr > 0 && impl.name != requestReference)
                ratios[impl.name + QStringLiteral("/rr64_vs_libipc_rr")].append(rr / libipcRr);
            const double aes64 = reference.value(QStringLiteral("openssl_aes256gcm_64_records_per_s")).toDouble();
            if (impl.encrypted && aes64 > 0 && figures.contains(QStringLiteral("oneway64_msgs_per_s")))
                ratios[impl.name + QStringLiteral("/oneway64_vs_openssl")].append(
                    figures.value(QStringLiteral("oneway64_msgs_per_s")).toDouble() / aes64);
        }
        runs.append(QJsonObject{{QStringLiteral("results"), results}, {QStringLiteral("reference"), reference}});
    }

    QJsonArray rows;
    QTextStream out(stdout);
    out << (repeats > 1 ? QStringLiteral("medians of %1 runs; ").arg(repeats) : QString())
        << "(ratio to the raw socket of the same transport, same run;" << Qt::endl
        << " * request/reply rows: ratio to " << requestReference << "'s message round trip, same run;" << Qt::endl
        << " ** peak RSS rows: ratio to the message's size)" << Qt::endl;
    out << qSetFieldWidth(36) << Qt::left << "scenario";
    for (const Impl &impl : impls)
        out << qSetFieldWidth(24) << impl.name;
    out << qSetFieldWidth(0) << Qt::endl;
    for (const auto &[scenario, label] : scenarios) {
        if (std::none_of(impls.begin(), impls.end(), [&, scenario = scenario](const Impl &impl) {
                return values.contains(impl.name + QLatin1Char('/') + scenario);
            }))
            continue; // not measured in this run (--scenarios)
        out << qSetFieldWidth(36) << label;
        for (const Impl &impl : impls) {
            const QString key = impl.name + QLatin1Char('/') + scenario;
            if (!values.contains(key)) {
                out << qSetFieldWidth(24) << "-";
                continue;
            }
            const double value = median(values.value(key));
            const bool request = isRequestScenario(scenario);
            const bool peak = isPeakScenario(scenario);
            const bool hasRatio = ratios.contains(key) && (request || peak || impl.kind != Impl::Raw);
            const double ratio = hasRatio ? median(ratios.value(key)) : 0;
            QString cell = QString::number(value, 'g', 4);
            if (hasRatio)
                cell += QStringLiteral(" (%1x)").arg(ratio, 0, 'f', 2);
            out << qSetFieldWidth(24) << cell;
            QJsonObject row{{QStringLiteral("impl"), impl.name},
                            {QStringLiteral("scenario"), scenario},
                            {QStringLiteral("value"), value}};
            if (limitRatios.contains(key))
                row[QStringLiteral("ratio_to_limit")] = median(limitRatios.value(key));
            if (peak) {
                row[QStringLiteral("ratio_to_message_size")] = ratio;
            } else if (request) {
                if (hasRatio)
                    row[QStringLiteral("ratio_to_libipc_rtt")] = ratio;
            } else {
                row[QStringLiteral("ratio_to_raw")] = impl.kind == Impl::Raw ? 1.0 : ratio;
            }
            rows.append(row);
        }
        out << qSetFieldWidth(0) << Qt::endl;
    }
    out << Qt::endl << qSetFieldWidth(36) << Qt::left << "ratio to " + limitReference + " (the limit)";
    for (const Impl &impl : impls)
        out << qSetFieldWidth(24) << impl.name;
    out << qSetFieldWidth(0) << Qt::endl;
    for (const QString &scenario : limitScenarios) {
        const auto label = std::find_if(scenarios.begin(), scenarios.end(),
                                        [&](const QPair<QString, QString> &s) { return s.first == scenario; });
        bool any = false;
        for (const Impl &impl : impls)
            any = any || limitRatios.contains(impl.name + QLatin1Char('/') + scenario);
        if (!any)
            continue;
        out << qSetFieldWidth(36) << label->second;
        for (const Impl &impl : impls) {
            const QString key = impl.name + QLatin1Char('/') + scenario;
            out << qSetFieldWidth(24)
                << (limitRatios.contains(key) ? QStringLiteral("%1x").arg(median(limitRatios.value(key)), 0, 'f', 2)
                                              : QStringLiteral("-"));
        }
        out << qSetFieldWidth(0) << Qt::endl;
    }
    QJsonObject reference;
    for (auto it = referenceValues.begin(); it != referenceValues.end(); ++it)
        reference[it.key()] = median(it.value());
    if (!reference.isEmpty()) {
        out << Qt::endl << "OpenSSL on one core: AES-256-GCM "
            << reference.value(QStringLiteral("openssl_aes256gcm_64_records_per_s")).toDouble() << " records/s at 64 B, "
            << reference.value(QStringLiteral("openssl_aes256gcm_1m_gb_per_s")).toDouble() << " GB/s at 1 MiB; X25519 "
            << reference.value(QStringLiteral("openssl_x25519_ops_per_s")).toDouble() << " ops/s" << Qt::endl;
    }
    for (const Impl &impl : impls) {
        const QString key = impl.name + QStringLiteral("/oneway64_vs_openssl");
        if (!ratios.contains(key))
            continue;
        const double ratio = median(ratios.value(key));
        out << impl.name << ": one-way 64 B = " << QString::number(ratio, 'f', 2) << "x OpenSSL's 64-byte AES-GCM rate" << Qt::endl;
        rows.append(QJsonObject{{QStringLiteral("impl"), impl.name},
                                {QStringLiteral("scenario"), QStringLiteral("oneway64_vs_openssl")},
                                {QStringLiteral("ratio_to_openssl"), ratio}});
    }
    bool requestHeader = false;
    for (const Impl &impl : impls) {
        const QString own = impl.name + QStringLiteral("/rr64_vs_own_rtt");
        const QString libipc = impl.name + QStringLiteral("/rr64_vs_libipc_rr");
        if (!ratios.contains(own) && !ratios.contains(libipc))
            continue;
        if (!requestHeader) {
            out << "request/reply 64 B, median, same run:" << Qt::endl;
            requestHeader = true;
        }
        out << "  " << impl.name << ":";
        QJsonObject row{{QStringLiteral("impl"), impl.name}, {QStringLiteral("scenario"), QStringLiteral("rr64_vs_round_trip")}};
        if (ratios.contains(own)) {
            const double ratio = median(ratios.value(own));
            out << " " << QString::number(ratio, 'f', 2) << "x its own message round trip";
            row[QStringLiteral("ratio_to_own_rtt")] = ratio;
        }
        if (ratios.contains(libipc)) {
            const double ratio = median(ratios.value(libipc));
            out << (ratios.contains(own) ? ";" : "") << " " << QString::number(ratio, 'f', 2) << "x "
                << requestReference << "'s request/reply";
            row[QStringLiteral("ratio_to_libipc_rr")] = ratio;
        }
        out << Qt::endl;
        rows.append(row);
    }
    const QJsonObject document{
        {QStringLiteral("machine"), QJsonObject{{QStringLiteral("cpus"), QThread::idealThreadCount()},
                                                {QStringLiteral("os"), QSysInfo::prettyProductName()},
                                                {QStringLiteral("kernel"), QSysInfo::kernelVersion()},
                                                {QStringLiteral("cpu"), QString::fromUtf8(cpuModel())}}},
        {QStringLiteral("quick"), quick},
        {QStringLiteral("repeats"), repeats},
        {QStringLiteral("reference"), reference},
        {QStringLiteral("results"), rows},
        {QStringLiteral("runs"), runs}};
    QFile json(jsonPath);
    if (json.open(QIODevice::WriteOnly))
        json.write(QJsonDocument(document).toJson());
    out << "JSON written to " << jsonPath << Qt::endl;
    if (failedScenarios > 0) {
        qWarning("%d scenario(s) failed: their figures measure the failure", failedScenarios);
        return 1;
    }
    return 0;
}
