// ipc_load: many concurrent clients, each sending numbered messages to one
// echo server in another process and checking that every echo comes back,
// in order, without an error. Prints the time and the server's peak RSS.
//
//   ipc_load [--clients N] [--messages M] [--size BYTES] [--transport local|tcp]
//            [--plain] [--processes P]
//
// The default is the full run: 1,000 clients x 1,000 messages, encrypted,
// over local sockets, the clients spread over 2 processes. Exit code 0 when
// every message came back in order and nothing failed.
//
// Internally it runs itself as the server (`serve ADDRESS`) and as the
// client processes (`clients ADDRESS N M SIZE`).
#include <ipc/client.h>
#include <ipc/server.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTextStream>
#include <QTimer>
#include <QtEndian>

#include <sys/resource.h>

#include <memory>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Each connection needs a descriptor on both sides.
void raiseFileLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

void printLine(const QString &line)
{
    QTextStream(stdout) << line << Qt::endl;
}

int serve(const QString &address, bool plain)
{
    ipc::ServerConfig config;
    config.encryption = !plain;
    config.handshakeTimeout = 120s; // a thousand handshakes queue up on two cores
    ipc::Server server(address, config);
    QObject::connect(&server, &ipc::Server::messageReceived, &server,
        [&server](const ipc::Message &m) { server.write(m.clientId, m.type, m.data); });
    if (!server.listen()) {
        printLine(QStringLiteral("error ") + server.errorString());
        return 1;
    }
    printLine(QStringLiteral("listening ") + server.listeningAddress());
    return QCoreApplication::exec();
}

// One client's stream: message i carries i (8 bytes) and padding.
struct Stream
{
    std::unique_ptr<ipc::Client> client;
    quint64 nextEcho = 0;
    quint64 written = 0;
};

int runClients(const QString &address, int count, quint64 messages, int size, bool plain)
{
    ipc::ClientConfig config;
    config.encryptionRequired = !plain;
    config.timeout = 120s;
    std::vector<Stream> streams(static_cast<size_t>(count));
    int connected = 0;
    int finished = 0;
    int errors = 0;
    int outOfOrder = 0;
    QString firstError;
    QElapsedTimer clock;
    clock.start();
    qint64 connectedAt = 0;

    const auto writeSome = [&](Stream &s) {
        while (s.written < messages && s.client->isWritable()) {
            QByteArray data(qMax(size, 8), 'l');
            qToBigEndian<quint64>(s.written, data.data());
            if (!s.client->write(1, data))
                return;
            ++s.written;
        }
    };
    const auto fail = [&](const QString &why) {
        ++errors;
        if (firstError.isEmpty())
            firstError = why;
    };
    for (Stream &s : streams) {
        s.client = std::make_unique<ipc::Client>(address, config);
        ipc::Client *client = s.client.get();
        Stream *own = &s; // the vector never grows: stable
        QObject::connect(client, &ipc::Client::connected, client, [&] {
            if (++connected < count)
                return;
            connectedAt = clock.elapsed();
            for (Stream &each : streams) // all connected: the exchange starts
                writeSome(each);
        });
        QObject::connect(client, &ipc::Client::writableChanged, client,
            [own, &writeSome, &connected, count](bool on) {
                if (on && connected >= count)
                    writeSome(*own);
            });
        QObject::connect(
            client, &ipc::Client::messageReceived, client, [&, own](const ipc::Message &m) {
                if (m.data.size() < 8
                    || qFromBigEndian<quint64>(m.data.constData()) != own->nextEcho) {
                    ++outOfOrder;
                    fail(QStringLiteral("echo out of order on a connection"));
                }
                if (++own->nextEcho == messages && ++finished == count)
                    QCoreApplication::exit(0);
            });
        QObject::connect(client, &ipc::Client::errorOccurred, client,
            [&, client] { fail(client->errorString()); });
        QObject::connect(client, &ipc::Client::messagesDropped, client,
            [&](int n) { fail(QStringLiteral("%1 message(s) dropped").arg(n)); });
    }
    QTimer::singleShot(600s, [] { QCoreApplication::exit(1); });
    const int code = QCoreApplication::exec();
    quint64 echoed = 0;
    for (const Stream &s : streams)
        echoed += s.nextEcho;
    printLine(QStringLiteral(
        "%1 clients %2 echoed %3 errors %4 outoforder %5 connect_ms %6 total_ms %7 first_error %8")
                  .arg(code == 0 && errors == 0 ? QStringLiteral("ok") : QStringLiteral("failed"))
                  .arg(count)
                  .arg(echoed)
                  .arg(errors)
                  .arg(outOfOrder)
                  .arg(connectedAt)
                  .arg(clock.elapsed())
                  .arg(firstError.isEmpty() ? QStringLiteral("-") : firstError));
    for (Stream &s : streams) // a clean end: nothing is left unconfirmed
        s.client->disconnectFromServer();
    for (Stream &s : streams)
        s.client->waitForDisconnected(30s);
    return code == 0 && errors == 0 ? 0 : 1;
}

qint64 peakResidentKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

// Starts the server and the client processes, and sums up what they say.
int orchestrate(
    int clients, quint64 messages, int size, const QString &transport, bool plain, int processes)
{
    const QString self = QCoreApplication::applicationFilePath();
    const QString address = transport == QLatin1String("tcp")
        ? QStringLiteral("tcp://127.0.0.1:0")
        : QStringLiteral("ipc_load_%1").arg(QCoreApplication::applicationPid());
    QProcess server;
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start(self,
        QStringList { QStringLiteral("serve"), address }
            << (plain ? QStringList { QStringLiteral("--plain") } : QStringList {}));
    if (!server.waitForStarted(10000) || !server.waitForReadyRead(30000)) {
        printLine(QStringLiteral("error: the server did not start"));
        return 1;
    }
    const QByteArray ready = server.readLine().trimmed();
    if (!ready.startsWith("listening ")) {
        printLine(QStringLiteral("error: ") + QString::fromUtf8(ready));
        return 1;
    }
    const QString listening = QString::fromUtf8(ready.mid(10));

    QElapsedTimer clock;
    clock.start();
    std::vector<std::unique_ptr<QProcess>> workers;
    for (int p = 0; p < processes; ++p) {
        const int share = clients / processes + (p < clients % processes ? 1 : 0);
        if (share == 0)
            continue;
        auto worker = std::make_unique<QProcess>();
        worker->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QStringList arguments { QStringLiteral("clients"), listening, QString::number(share),
            QString::number(messages), QString::number(size) };
        if (plain)
            arguments << QStringLiteral("--plain");
        worker->start(self, arguments);
        workers.push_back(std::move(worker));
    }
    bool ok = true;
    quint64 echoed = 0;
    for (const auto &worker : workers) {
        worker->waitForFinished(-1);
        const QString report = QString::fromUtf8(worker->readAllStandardOutput()).trimmed();
        printLine(QStringLiteral("  clients process: ") + report);
        ok = ok && worker->exitStatus() == QProcess::NormalExit && worker->exitCode() == 0
            && report.startsWith(QLatin1String("ok"));
        echoed += report.section(QLatin1Char(' '), 4, 4).toULongLong();
    }
    const double seconds = double(clock.elapsed()) / 1000.0;
    const qint64 peak = peakResidentKiB(server.processId());
    server.kill(); // the process this program started
    server.waitForFinished(10000);
    if (transport != QLatin1String("tcp"))
        QFile::remove(listening); // the socket path, which a killed server cannot remove
    const quint64 expected = quint64(clients) * messages;
    ok = ok && echoed == expected;
    printLine(QStringLiteral(
        "%1: %2 clients x %3 messages of %4 bytes, %5, %6: %7 of %8 echoed in order, "
        "%9 s (%10 round trips/s), server peak RSS %11 MiB")
                  .arg(ok ? QStringLiteral("ok") : QStringLiteral("FAILED"))
                  .arg(clients)
                  .arg(messages)
                  .arg(qMax(size, 8))
                  .arg(transport, plain ? QStringLiteral("plain") : QStringLiteral("encrypted"))
                  .arg(echoed)
                  .arg(expected)
                  .arg(seconds, 0, 'f', 1)
                  .arg(qint64(double(echoed) / seconds))
                  .arg(double(peak) / 1024.0, 0, 'f', 1));
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    raiseFileLimit();
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Load test: concurrent clients echoing through one server."));
    parser.addHelpOption();
    const QCommandLineOption clients(QStringLiteral("clients"),
        QStringLiteral("Concurrent clients (1000)."), QStringLiteral("n"), QStringLiteral("1000"));
    const QCommandLineOption messages(QStringLiteral("messages"),
        QStringLiteral("Messages per client (1000)."), QStringLiteral("n"), QStringLiteral("1000"));
    const QCommandLineOption size(QStringLiteral("size"),
        QStringLiteral("Bytes per message, at least 8 (32)."), QStringLiteral("bytes"),
        QStringLiteral("32"));
    const QCommandLineOption transport(QStringLiteral("transport"),
        QStringLiteral("local or tcp (local)."), QStringLiteral("name"), QStringLiteral("local"));
    const QCommandLineOption plain(QStringLiteral("plain"), QStringLiteral("Without encryption."));
    const QCommandLineOption processes(QStringLiteral("processes"),
        QStringLiteral("Client processes (2)."), QStringLiteral("n"), QStringLiteral("2"));
    parser.addOptions({ clients, messages, size, transport, plain, processes });
    parser.addPositionalArgument(QStringLiteral("mode"),
        QStringLiteral("(internal) serve ADDRESS | clients ADDRESS N M SIZE"));
    parser.process(app);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() == 2 && positional.at(0) == QLatin1String("serve"))
        return serve(positional.at(1), parser.isSet(plain));
    if (positional.size() == 5 && positional.at(0) == QLatin1String("clients"))
        return runClients(positional.at(1), positional.at(2).toInt(),
            positional.at(3).toULongLong(), positional.at(4).toInt(), parser.isSet(plain));
    if (!positional.isEmpty()) {
        parser.showHelp(1);
    }
    const QString transportName = parser.value(transport);
    if (transportName != QLatin1String("local") && transportName != QLatin1String("tcp")) {
        QTextStream(stderr) << "ipc_load: --transport is local or tcp\n";
        return 1;
    }
    return orchestrate(qMax(1, parser.value(clients).toInt()),
        qMax(1ULL, parser.value(messages).toULongLong()), parser.value(size).toInt(), transportName,
        parser.isSet(plain), qMax(1, parser.value(processes).toInt()));
}
