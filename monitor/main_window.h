// The monitor's window: the process/endpoint/connection tree and the
// connection map above, the live message log and per-type statistics below.
#pragma once

#include "models.h"
#include "recording.h"
#include "traffic.h"

#include <QMainWindow>
#include <QTimer>

class QLabel;
class QLineEdit;
class QComboBox;
class QTableView;
class QTabWidget;
class QTreeView;
class QAction;
class QSettings;
class QTextBrowser;
class QSplitter;

namespace monitor {

class ConnectionMap;
class DeliveryView;
class LatencyView;
class TimelineView;
class RateChart;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(Traffic *traffic, const QString &collectorAddress, QWidget *parent = nullptr);

    // For tests and screenshots.
    TreeModel *treeModel() const { return m_tree; }
    MessageLog *log() const { return m_log; }
    LogFilter *logFilter() const { return m_filter; }
    TypeStatsModel *statsModel() const { return m_stats; }
    ConnectionMap *map() const { return m_map; }
    QTabWidget *topTabs() const { return m_topTabs; }
    QTabWidget *bottomTabs() const { return m_bottomTabs; }
    QTableView *logView() const { return m_logView; }
    void setPaused(bool paused);
    // Views pull from Traffic on a timer (a few times a second), never per event.
    void refreshNow();
    bool startRecording(const QString &path, QString *error);
    Recorder &recorder() { return m_recorder; }
    QSplitter *splitter() const { return m_splitter; }
    QTableView *statsView() const { return m_statsView; }
    LatencyView *latencyView() const { return m_latency; }
    DeliveryView *deliveryView() const { return m_delivery; }
    TimelineView *timeline() const { return m_timeline; }
    // Shows the log's row `row` (a MessageLog row) in the Messages tab.
    void showLogRow(int row);
    QTreeView *treeView() const { return m_treeView; }
    // The pane beside the tree: everything known about the selected connection.
    QTextBrowser *details() const { return m_details; }

    // The window's size and place, the splitter, the columns (order, width,
    // sorting) and the open tabs: restored from `settings`, and saved back
    // there when the window closes.
    void restoreLayout(QSettings *settings);
    void saveLayout(QSettings *settings) const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QWidget *buildLogTab();
    QWidget *buildStatsTab();
    void onMessagesLogged(const QList<LoggedMessage> &messages);
    void exportCsv(const QString &what);
    void openRecording();
    void chooseRecording();
    void sendTestMessage(const QString &address, qint32 type, const QByteArray &data);
    void replaySelected();
    void excludeSelectedType();
    void showDetails();

    Traffic *m_traffic;
    QString m_collectorAddress;
    TreeModel *m_tree;
    MessageLog *m_log;
    LogFilter *m_filter;
    TypeStatsModel *m_stats;
    ConnectionMap *m_map;
    RateChart *m_chart;
    LatencyView *m_latency;
    DeliveryView *m_delivery;
    TimelineView *m_timeline;
    QTreeView *m_treeView;
    QTextBrowser *m_details;
    QSplitter *m_connectionsSplitter;
    QTableView *m_logView;
    QTableView *m_statsView;
    QSplitter *m_splitter;
    QSettings *m_layoutSettings = nullptr; // where closeEvent() saves the layout
    QTabWidget *m_topTabs;
    QTabWidget *m_bottomTabs;
    QLabel *m_status;
    QAction *m_pause;
    QLineEdit *m_typeFilter;
    QComboBox *m_direction;
    QTimer m_refresh;
    QTimer m_tick;
    Recorder m_recorder;
    QString m_shownDetails;
    bool m_followLog = true; // auto-scroll until the user scrolls up
};

} // namespace monitor
