// ipc-monitor: shows the libipc processes that report to it (IPC_MONITOR=1),
// their endpoints, connections, traffic and encryption state.
//
//   ipc-monitor [--address ADDR] [--record FILE] [--open FILE]
//   ipc-monitor --demo                 with demo servers and clients
//   ipc-monitor --cli [--json]         headless: one line (JSON object) per event
//   ipc-monitor --summary N [--json]   headless: a table every N seconds
//   ipc-monitor --demo --screenshot FILE [--map-screenshot FILE] [--latency-screenshot FILE]
//               [--timeline-screenshot FILE] [--delivery-screenshot FILE]
//
// Without a display it runs headless by itself.
#include "collector.h"
#include "demo.h"
#include "process_end.h"
#include "headless.h"
#include "latency_view.h"
#include "main_window.h"
#include "timeline.h"
#include "connection_map.h"
#include "delivery_view.h"
#include "recording.h"
#include "traffic.h"

#include <ipc/telemetry.h>
#include <ipc/version.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QIcon>
#include <QSettings>
#include <QTabWidget>
#include <QScrollBar>
#include <QTableView>
#include <QTreeView>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>

using namespace monitor;

namespace {

bool haveDisplay()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

// Shows the details of the demo clients' connection with a pre-shared key
// (the last such in the tree): it carries their requests.
void selectAuthenticatedConnection(MainWindow *window)
{
    const QAbstractItemModel *tree = window->treeView()->model();
    QModelIndex chosen;
    std::function<void(const QModelIndex &)> visit = [&](const QModelIndex &parent) {
        for (int row = 0; row < tree->rowCount(parent); ++row) {
            const QModelIndex index = tree->index(row, 0, parent);
            if (index.data(KindRole).toString() == QLatin1String("connection")
                && index.data(SecurityRole).toInt() == int(Security::Authenticated))
                chosen = index;
            visit(index);
        }
    };
    visit(QModelIndex());
    if (chosen.isValid())
        window->treeView()->setCurrentIndex(chosen);
}

// The demo's requests have each ended every way they do: replies, error
// replies and a timeout.
bool demoRequestsShow(const Traffic &traffic)
{
    quint64 errors = 0;
    quint64 timeouts = 0;
    for (const auto &entry : traffic.latencyByType()) {
        errors += entry.second.ended(ipc::telemetry::RequestOutcome::ErrorReply);
        timeouts += entry.second.ended(ipc::telemetry::RequestOutcome::Timeout);
    }
    return traffic.latencyByType().size() >= 4 && errors > 0 && timeouts > 0;
}

// The demo's feed has backed up for a while: the Delivery tab shows its
// backlog rising and falling.
bool demoBacklogShows(const Traffic &traffic)
{
    for (const auto &process : traffic.processes()) {
        for (const auto &[id, connection] : process.second.connections) {
            const std::deque<DeliveryPoint> &history = connection.delivery.history;
            if (history.size() >= 20
                && std::any_of(history.begin(), history.end(), [](const DeliveryPoint &p) { return p.backlog > 100; }))
                return true;
        }
    }
    return false;
}

// What --screenshot and its companions save.
struct Screenshots
{
    QString window;
    QString map;
    QString latency;
    QString timeline;
    QString delivery;
};

// Grabs the window and the views asked for once the demo shows live
// connections, traffic, requests and a backlog, then quits.
void screenshotWhenReady(MainWindow *window, Traffic *traffic, const Screenshots &files)
{
    auto *timer = new QTimer(window);
    const qint64 started = QDateTime::currentMSecsSinceEpoch();
    QObject::connect(timer, &QTimer::timeout, window, [=] {
        int live = 0;
        for (const auto &process : traffic->processes()) {
            for (const auto &connection : process.second.connections)
                live += connection.second.established && !connection.second.closed ? 1 : 0;
        }
        // The demo's remote-object traffic too: its rows are the last (named) ones.
        const bool ready = live >= 8 && window->log()->rowCount() > 50 && !traffic->types().empty()
            && traffic->types().begin()->second.history.size() >= 4
            && !traffic->types().rbegin()->first.name.isEmpty()
            && (files.latency.isEmpty() || demoRequestsShow(*traffic))
            && (files.delivery.isEmpty() || demoBacklogShows(*traffic));
        const bool late = QDateTime::currentMSecsSinceEpoch() - started > 90000;
        if (!ready && !late)
            return;
        timer->stop();
        window->refreshNow();
        selectAuthenticatedConnection(window);
        QTextStream err(stderr);
        const auto save = [&](QWidget *widget, const QString &file) {
            if (!widget->grab().save(file))
                err << "cannot write " << file << Qt::endl;
        };
        save(window, files.window);
        if (!files.map.isEmpty()) {
            window->topTabs()->setCurrentWidget(window->map());
            window->refreshNow();
            save(window->map(), files.map);
        }
        if (!files.latency.isEmpty()) {
            window->bottomTabs()->setCurrentWidget(window->latencyView());
            window->refreshNow();
            QTableView *table = window->latencyView()->table();
            table->setCurrentIndex(table->model()->index(0, 0)); // the slowest, sorted by p99
            save(window, files.latency);
        }
        if (!files.delivery.isEmpty()) {
            window->bottomTabs()->setCurrentWidget(window->deliveryView());
            window->refreshNow();
            QTableView *table = window->deliveryView()->table();
            // The deepest backlog's connection.
            table->sortByColumn(DeliveryModel::Unconfirmed, Qt::DescendingOrder);
            table->setCurrentIndex(table->model()->index(0, 0));
            save(window, files.delivery);
        }
        if (!files.timeline.isEmpty()) {
            window->topTabs()->setCurrentWidget(window->timeline());
            window->refreshNow();
            window->timeline()->setMsPerPixel(0.5); // close enough to read the requests' brackets
            window->timeline()->verticalScrollBar()->setValue(window->timeline()->verticalScrollBar()->maximum());
            save(window, files.timeline);
        }
        err << (ready ? "screenshot taken" : "screenshot taken before the demo was fully up") << Qt::endl;
        QCoreApplication::exit(ready ? 0 : 1);
    });
    timer->start(250);
}

} // namespace

int main(int argc, char **argv)
{
    // The helpers of --demo run without any window.
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], "--demo-peer") == 0) {
            QCoreApplication app(argc, argv);
            return runDemoPeer(app.arguments().mid(i + 1));
        }
    }
    bool cli = false;
    for (int i = 1; i < argc; ++i) // --json and --summary are headless too
        cli = cli || qstrcmp(argv[i], "--cli") == 0 || qstrcmp(argv[i], "--json") == 0
            || qstrncmp(argv[i], "--summary", 9) == 0; // --summary N or --summary=N
    const bool headless = cli || !haveDisplay();
    std::unique_ptr<QCoreApplication> app(headless ? new QCoreApplication(argc, argv) : new QApplication(argc, argv));
    QCoreApplication::setOrganizationName(QStringLiteral("libipc"));
    QCoreApplication::setApplicationName(QStringLiteral("ipc-monitor"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IPC_VERSION_STRING));
    // Desktops match the window to ipc-monitor.desktop, and take its icon.
    if (!headless) {
        QGuiApplication::setDesktopFileName(QStringLiteral("ipc-monitor"));
        QApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("ipc-monitor")));
    }
    quitOnTerminationSignals(); // so the demo's helpers and the collector's socket file go with it

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Shows libipc processes that report to it (IPC_MONITOR=1)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption addressOption(QStringLiteral("address"), QStringLiteral("Collect at this address."),
                                           QStringLiteral("address"), ipc::telemetry::defaultMonitorAddress());
    const QCommandLineOption cliOption(QStringLiteral("cli"), QStringLiteral("Headless: print one line per event."));
    const QCommandLineOption demoOption(QStringLiteral("demo"), QStringLiteral("Start demo servers and clients too."));
    const QCommandLineOption recordOption(QStringLiteral("record"), QStringLiteral("Record events to a JSON lines file."),
                                          QStringLiteral("file"));
    const QCommandLineOption openOption(QStringLiteral("open"), QStringLiteral("Open a recording."), QStringLiteral("file"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QStringLiteral("Save the window as PNG once traffic shows, then quit."),
                                              QStringLiteral("file"));
    const QCommandLineOption mapOption(QStringLiteral("map-screenshot"), QStringLiteral("With --screenshot: the map too."),
                                       QStringLiteral("file"));
    const QCommandLineOption timelineScreenshotOption(
        QStringLiteral("timeline-screenshot"), QStringLiteral("With --screenshot: the window on its Timeline tab too."),
        QStringLiteral("file"));
    const QCommandLineOption latencyScreenshotOption(
        QStringLiteral("latency-screenshot"), QStringLiteral("With --screenshot: the window on its Latency tab too."),
        QStringLiteral("file"));
    const QCommandLineOption deliveryScreenshotOption(
        QStringLiteral("delivery-screenshot"), QStringLiteral("With --screenshot: the window on its Delivery tab too."),
        QStringLiteral("file"));
    const QCommandLineOption quitOption(QStringLiteral("quit-after"), QStringLiteral("Quit after this many ms."),
                                        QStringLiteral("ms"));
    const QCommandLineOption jsonOption(QStringLiteral("json"),
                                        QStringLiteral("Headless: one JSON object per event (or per summary)."));
    const QCommandLineOption summaryOption(
        QStringLiteral("summary"), QStringLiteral("Headless: a table of connections and types every N seconds, instead of events."),
        QStringLiteral("seconds"));
    parser.addOptions({addressOption, cliOption, demoOption, recordOption, openOption, screenshotOption, mapOption,
                       quitOption, jsonOption, summaryOption, latencyScreenshotOption,
                       timelineScreenshotOption, deliveryScreenshotOption});
    parser.process(*app);
    HeadlessOptions headlessOptions;
    headlessOptions.json = parser.isSet(jsonOption);
    if (parser.isSet(summaryOption)) {
        bool ok = false;
        headlessOptions.summarySeconds = parser.value(summaryOption).toInt(&ok);
        if (!ok || headlessOptions.summarySeconds <= 0 || headlessOptions.summarySeconds > 86400) {
            QTextStream(stderr) << "ipc-monitor: --summary takes a whole number of seconds from 1 to 86400, not \""
                                << parser.value(summaryOption) << '"' << Qt::endl;
            return 1;
        }
    }

    const QString address = parser.value(addressOption);
    Traffic traffic;
    Collector collector(address);
    if (!collector.listen()) {
        QTextStream(stderr) << "ipc-monitor: cannot collect at " << address << ": " << collector.errorString() << Qt::endl;
        return 1;
    }
    Recorder recorder;
    if (parser.isSet(recordOption)) {
        QString error;
        if (!recorder.open(parser.value(recordOption), &error)) {
            QTextStream(stderr) << "ipc-monitor: " << error << Qt::endl;
            return 1;
        }
    }
    QObject::connect(&collector, &Collector::eventReceived, &traffic,
                     [&](quint64 source, ipc::telemetry::EventType type, const QCborMap &event) {
                         traffic.apply(source, type, event);
                         recorder.write(QDateTime::currentMSecsSinceEpoch(), source, type, event);
                     });
    QObject::connect(&collector, &Collector::sourceGone, &traffic, [&](quint64 source) {
        traffic.sourceGone(source);
        recorder.writeSourceGone(QDateTime::currentMSecsSinceEpoch(), source);
    });
    if (parser.isSet(openOption)) {
        QString error;
        const bool ok = readRecording(parser.value(openOption), [&](qint64, quint64 source, int type, const QCborMap &event) {
            if (type == 0)
                traffic.sourceGone(source);
            else
                traffic.apply(source, ipc::telemetry::EventType(type), event);
        }, &error);
        if (!ok) {
            QTextStream(stderr) << "ipc-monitor: " << error << Qt::endl;
            return 1;
        }
    }

    QSettings layoutSettings; // ~/.config/libipc/ipc-monitor.conf
    std::unique_ptr<MainWindow> window;
    std::unique_ptr<Headless> headlessOutput;
    if (headless) {
        if (!cli)
            QTextStream(stderr) << "ipc-monitor: no display, running headless (one line per event). To see the "
                                   "window run it on a desktop, or under Xvfb: xvfb-run ipc-monitor --demo"
                                << Qt::endl;
        QTextStream(stderr) << "ipc-monitor: collecting at " << address << Qt::endl;
        headlessOutput = std::make_unique<Headless>(&collector, &traffic, headlessOptions);
        QObject::connect(app.get(), &QCoreApplication::aboutToQuit, headlessOutput.get(), &Headless::finish);
    } else {
        window = std::make_unique<MainWindow>(&traffic, address);
        // Screenshots keep the default layout, whatever the user's is.
        if (!parser.isSet(screenshotOption)) {
            window->restoreLayout(&layoutSettings);
            QObject::connect(app.get(), &QCoreApplication::aboutToQuit, window.get(),
                             [&] { window->saveLayout(&layoutSettings); });
        }
        window->show();
        if (parser.isSet(screenshotOption))
            screenshotWhenReady(window.get(), &traffic,
                                Screenshots{parser.value(screenshotOption), parser.value(mapOption),
                                            parser.value(latencyScreenshotOption), parser.value(timelineScreenshotOption),
                                            parser.value(deliveryScreenshotOption)});
    }
    std::unique_ptr<Demo> demo;
    if (parser.isSet(demoOption)) {
        demo = std::make_unique<Demo>(address);
        demo->start();
    }
    if (parser.isSet(quitOption))
        QTimer::singleShot(parser.value(quitOption).toInt(), app.get(), &QCoreApplication::quit);
    return app->exec();
}
