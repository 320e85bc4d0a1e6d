#include "demo.h"
#include "demo_thermostat.h"
#include "process_end.h"

#include <ipc/client.h>
#include <ipc/replica.h>
#include <ipc/server.h>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTextStream>
#include <QThread>
#include <QTimer>

namespace monitor {

namespace {

// 32 bytes, and public: the demo shows what a pre-shared key looks like, not a secret.
const QByteArray DemoKey = QByteArrayLiteral("libipc monitor demo key, public!");

QString name(const QString &prefix, const char *what)
{
    return QStringLiteral("%1-%2").arg(prefix, QLatin1String(what));
}

ipc::ServerConfig serverConfig(bool encryption, const QByteArray &key, ipc::Protocol protocol, bool payloads)
{
    ipc::ServerConfig config;
    config.encryption = encryption;
    config.preSharedKey = key;
    config.protocol = protocol;
    config.reportPayloads = payloads;
    config.monitoring = ipc::Monitoring::On;
    return config;
}

int runServers(const QString &prefix)
{
    QCoreApplication::setApplicationName(QStringLiteral("demo-servers"));
    std::vector<std::unique_ptr<ipc::Server>> servers;
    servers.push_back(std::make_unique<ipc::Server>(name(prefix, "chat"), serverConfig(true, {}, ipc::Protocol::Native, false)));
    servers.push_back(std::make_unique<ipc::Server>(name(prefix, "secure"), serverConfig(true, DemoKey, ipc::Protocol::Native, true)));
    servers.push_back(std::make_unique<ipc::Server>(QStringLiteral("tcp://127.0.0.1:0"), serverConfig(false, {}, ipc::Protocol::Native, true)));
    servers.push_back(std::make_unique<ipc::Server>(name(prefix, "legacy"), serverConfig(true, {}, ipc::Protocol::GolangIpcV2, false)));
    for (auto &server : servers) {
        if (!server->listen()) {
            QTextStream(stderr) << "demo: " << server->errorString() << Qt::endl;
            return 1;
        }
        ipc::Server *s = server.get();
        // Answers chat lines, as a service would; and requests: a lookup
        // (type 5) in a few milliseconds, now and then refused; a report
        // (type 6) that takes its time; a question (type 7) nobody answers.
        QObject::connect(s, &ipc::Server::messageReceived, s, [s](const ipc::Message &m) {
            if (m.type == 1)
                s->write(m.clientId, 1, "ack: " + m.data);
            if (m.type == 5 && QRandomGenerator::global()->bounded(10) == 0)
                s->replyError(m, 404, QStringLiteral("no such key"));
            else if (m.type == 5 || m.type == 6) {
                const int ms = m.type == 5 ? 1 + QRandomGenerator::global()->bounded(8)
                                           : 80 + QRandomGenerator::global()->bounded(120);
                QTimer::singleShot(ms, s, [s, m] { s->reply(m, m.type, "done: " + m.data); });
            }
        });
    }
    // A feed that sends faster than its reader reads, in bursts: its
    // connection backs up (unconfirmed messages, then the queue), drains in
    // the pauses, and is highlighted while it does. It writes only while
    // the connection takes more, as a producer that heeds back-pressure.
    ipc::ServerConfig feedConfig = serverConfig(true, {}, ipc::Protocol::Native, false);
    // A window of 32: the reader takes at most that many in one read, fewer
    // than its reporter samples between two collections.
    feedConfig.sendWindow = ipc::SendWindow{32, 1 << 20};
    feedConfig.writeQueueLimit = 600;
    ipc::Server feed(name(prefix, "feed"), feedConfig);
    if (!feed.listen()) {
        QTextStream(stderr) << "demo: " << feed.errorString() << Qt::endl;
        return 1;
    }
    QElapsedTimer feedClock;
    feedClock.start();
    QTimer feedTimer;
    QObject::connect(&feedTimer, &QTimer::timeout, &feed, [&] {
        if ((feedClock.elapsed() / 8000) % 2 == 1)
            return; // a pause: the reader catches up
        for (const quint64 id : feed.clientIds()) {
            if (feed.isWritable(id))
                feed.write(id, 8, QByteArray(256, 'f'));
        }
    });
    feedTimer.start(16); // 60 a second, half again what the reader takes
    // The payload-reporting server's object: its traffic shows with arguments.
    DemoThermostat thermostat;
    servers[1]->exposeObject(&thermostat, QStringLiteral("thermostat"));
    QTimer weather;
    QObject::connect(&weather, &QTimer::timeout, &thermostat, &DemoThermostat::step);
    weather.start(500);
    QTextStream(stdout) << "tcp " << servers[2]->listeningAddress().section(QLatin1Char(':'), -1) << Qt::endl;
    return QCoreApplication::exec();
}

int runClients(const QString &prefix, quint16 tcpPort)
{
    QCoreApplication::setApplicationName(QStringLiteral("demo-clients"));
    struct Target
    {
        QString address;
        bool encryption;
        QByteArray key;
    };
    const std::vector<Target> targets{
        {name(prefix, "chat"), true, {}},
        {name(prefix, "secure"), true, DemoKey},
        {QStringLiteral("tcp://127.0.0.1:%1").arg(tcpPort), false, {}},
        {name(prefix, "legacy"), true, {}},
    };
    std::vector<std::unique_ptr<ipc::Client>> clients;
    for (const Target &target : targets) {
        ipc::ClientConfig config;
        config.encryptionRequired = target.encryption;
        config.preSharedKey = target.key;
        config.monitoring = ipc::Monitoring::On;
        clients.push_back(std::make_unique<ipc::Client>(target.address, config));
    }
    // The secure server's thermostat, turned now and then.
    std::unique_ptr<ipc::DynamicReplica> thermostat(clients[1]->acquireDynamic(QStringLiteral("thermostat")));
    int tick = 0;
    QTimer timer;
    QObject::connect(&timer, &QTimer::timeout, [&] {
        ++tick;
        for (std::size_t i = 0; i < clients.size(); ++i) {
            ipc::Client &client = *clients[i];
            if (!client.isConnected())
                continue;
            // Type 2: sensor readings, often; type 1: chat, now and then;
            // type 3: a status document, once a second; type 4: a bulk block.
            QByteArray reading(24, Qt::Uninitialized);
            QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(reading.data()), 6);
            client.write(2, reading);
            if (tick % 5 == int(i))
                client.write(1, QStringLiteral("hello from client %1, tick %2").arg(i).arg(tick).toUtf8());
            if (tick % 50 == 0) {
                QJsonObject status{{QStringLiteral("tick"), tick}, {QStringLiteral("client"), int(i)},
                                   {QStringLiteral("healthy"), true}};
                client.write(3, QJsonDocument(status).toJson(QJsonDocument::Compact));
            }
            if (tick % 100 == 0 && i == 0)
                client.write(4, QByteArray(64 * 1024, 'B'));
            if (tick % 10 == int(i) && i < 2) // requests, on the native servers
                client.request(5, "key " + QByteArray::number(tick), std::chrono::seconds(5));
            if (tick % 40 == 0 && i == 1)
                client.request(6, "report", std::chrono::seconds(5));
            if (tick % 250 == 0 && i == 0)
                client.request(7, "anyone?", std::chrono::milliseconds(300));
            if (tick % 75 == 0 && i == 1 && thermostat->state() == ipc::Replica::State::Valid)
                thermostat->call(QStringLiteral("setTarget"), {18.0 + (tick / 75) % 6});
        }
    });
    timer.start(20);
    return QCoreApplication::exec();
}

// Reads the feed at 40 messages a second: too slow for its bursts of 60.
int runReader(const QString &prefix)
{
    QCoreApplication::setApplicationName(QStringLiteral("demo-reader"));
    ipc::ClientConfig config;
    config.encryptionRequired = true;
    config.monitoring = ipc::Monitoring::On;
    ipc::Client client(name(prefix, "feed"), config);
    QObject::connect(&client, &ipc::Client::messageReceived, &client, [](const ipc::Message &) {
        QThread::msleep(25); // the work each message takes
    });
    return QCoreApplication::exec();
}

} // namespace

Demo::Demo(const QString &monitorAddress, QObject *parent)
    : QObject(parent)
    , m_monitorAddress(monitorAddress)
    , m_prefix(QStringLiteral("ipc-demo-%1").arg(QCoreApplication::applicationPid()))
{
}

Demo::~Demo()
{
    // End of file on their standard input tells the helpers to end; they
    // close their servers, which removes the socket files. Force only a
    // helper that does not (the helpers this demo started, by their pid).
    for (auto &process : m_processes)
        process->closeWriteChannel();
    for (auto &process : m_processes) {
        if (process->state() != QProcess::NotRunning && !process->waitForFinished(5000)) {
            process->kill();
            process->waitForFinished(5000);
        }
    }
}

QProcess *Demo::spawn(const QStringList &arguments)
{
    auto process = std::make_unique<QProcess>();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("IPC_MONITOR"), m_monitorAddress);
    process->setProcessEnvironment(environment);
    process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process->start(QCoreApplication::applicationFilePath(), QStringList{QStringLiteral("--demo-peer")} + arguments);
    m_processes.push_back(std::move(process));
    return m_processes.back().get();
}

void Demo::start()
{
    QProcess *servers = spawn({QStringLiteral("servers"), m_prefix});
    connect(servers, &QProcess::readyReadStandardOutput, this, [this, servers] {
        while (servers->canReadLine()) {
            const QByteArray line = servers->readLine().trimmed();
            if (line.startsWith("tcp "))
                startClients(quint16(line.mid(4).toUInt()));
        }
    });
}

void Demo::startClients(quint16 tcpPort)
{
    spawn({QStringLiteral("clients"), m_prefix, QString::number(tcpPort)});
    spawn({QStringLiteral("reader"), m_prefix});
}

int runDemoPeer(const QStringList &arguments)
{
    quitWhenParentEnds();
    quitOnTerminationSignals();
    if (arguments.value(0) == QLatin1String("servers") && arguments.size() >= 2)
        return runServers(arguments.at(1));
    if (arguments.value(0) == QLatin1String("clients") && arguments.size() >= 3)
        return runClients(arguments.at(1), quint16(arguments.at(2).toUInt()));
    if (arguments.value(0) == QLatin1String("reader") && arguments.size() >= 2)
        return runReader(arguments.at(1));
    QTextStream(stderr) << "usage: ipc-monitor --demo-peer servers PREFIX | clients PREFIX TCPPORT | reader PREFIX"
                        << Qt::endl;
    return 2;
}

} // namespace monitor
