// ipcctl ping ADDRESS [-c N]: round trips to the server's library, like ping.
#include "commands.h"
#include "common.h"

#include <QCoreApplication>
#include <QTimer>

#include <algorithm>

namespace ipcctl {

int ping(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Measures round trips to a server (its library answers; native protocol only)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("address"), QStringLiteral("name, /path.sock or tcp://host:port"));
    Common common;
    common.addTo(parser);
    const QCommandLineOption countOption({QStringLiteral("c"), QStringLiteral("count")}, QStringLiteral("How many pings (default 4)."), QStringLiteral("n"), QStringLiteral("4"));
    const QCommandLineOption interval({QStringLiteral("i"), QStringLiteral("interval")}, QStringLiteral("Milliseconds between pings (default 1000)."), QStringLiteral("ms"), QStringLiteral("1000"));
    parser.addOptions({countOption, interval});
    if (const int done = parseCommand(parser, QStringLiteral("ping"), arguments); done >= 0)
        return done;
    if (parser.positionalArguments().size() != 1)
        return fail(Usage, QStringLiteral("ping needs one ADDRESS (see ipcctl ping --help)"));
    const int count = qMax(1, parser.value(countOption).toInt());

    const QString address = parser.positionalArguments().first();
    int failure = Ok;
    const std::unique_ptr<ipc::Client> connected = connectClient(parser, common, address, false, &failure);
    if (!connected)
        return failure;
    ipc::Client &client = *connected;

    const bool json = parser.isSet(common.json);
    QList<quint64> times;
    int sent = 0;
    QTimer next;
    QTimer deadline; // for the answer to the last ping
    deadline.setSingleShot(true);
    const auto sendOne = [&] {
        if (sent >= count)
            return;
        if (!client.ping()) {
            next.stop();
            QCoreApplication::exit(fail(exitCodeFor(client.error()), client.errorString()));
            return;
        }
        ++sent;
        if (sent == count) {
            next.stop();
            deadline.start(timeoutOf(parser, common));
        }
    };
    QObject::connect(&client, &ipc::Client::pong, &client, [&](quint64 microseconds) {
        times.append(microseconds);
        if (!json)
            printLine(QStringLiteral("reply from %1: seq=%2 time=%3 us").arg(address).arg(times.size()).arg(microseconds));
        if (int(times.size()) == count)
            QCoreApplication::exit(Ok);
    });
    QObject::connect(&client, &ipc::Client::disconnected, &client, [&] {
        QCoreApplication::exit(fail(Unreachable, QStringLiteral("the server went away")));
    });
    QObject::connect(&next, &QTimer::timeout, &client, sendOne);
    QObject::connect(&deadline, &QTimer::timeout, &client, [] { QCoreApplication::exit(TimedOut); });
    // From the event loop, where exit() takes effect.
    QTimer::singleShot(0, &client, sendOne);
    next.start(qMax(1, parser.value(interval).toInt()));
    const int code = QCoreApplication::exec();
    if (code != Ok && code != TimedOut)
        return code;
    const quint64 least = times.isEmpty() ? 0 : *std::min_element(times.begin(), times.end());
    const quint64 most = times.isEmpty() ? 0 : *std::max_element(times.begin(), times.end());
    quint64 total = 0;
    for (quint64 t : times)
        total += t;
    const quint64 mean = times.isEmpty() ? 0 : total / quint64(times.size());
    if (json) {
        printJson(QJsonObject{{QStringLiteral("address"), address}, {QStringLiteral("sent"), sent},
                              {QStringLiteral("received"), int(times.size())}, {QStringLiteral("min_us"), qint64(least)},
                              {QStringLiteral("avg_us"), qint64(mean)}, {QStringLiteral("max_us"), qint64(most)}});
    } else {
        printLine(QStringLiteral("--- %1 ping statistics ---").arg(address));
        printLine(QStringLiteral("%1 sent, %2 received, min/avg/max = %3/%4/%5 us")
                      .arg(sent).arg(times.size()).arg(least).arg(mean).arg(most));
    }
    QObject::disconnect(&client, &ipc::Client::disconnected, nullptr, nullptr); // our own close() is no news
    client.close();
    return int(times.size()) == count ? Ok : fail(TimedOut, QStringLiteral("%1 of %2 pings unanswered").arg(count - times.size()).arg(count));
}

} // namespace ipcctl
