#include "main_window.h"

#include "connection_details.h"
#include "connection_map.h"
#include "delivery_view.h"
#include "latency_view.h"
#include "rate_chart.h"
#include "send_dialog.h"
#include "timeline.h"

#include <QAction>
#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTextBrowser>
#include <QTabWidget>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace monitor {

using ipc::telemetry::Direction;

MainWindow::MainWindow(Traffic *traffic, const QString &collectorAddress, QWidget *parent)
    : QMainWindow(parent)
    , m_traffic(traffic)
    , m_collectorAddress(collectorAddress)
    , m_tree(new TreeModel(this))
    , m_log(new MessageLog(this))
    , m_filter(new LogFilter(this))
    , m_stats(new TypeStatsModel(this))
    , m_map(new ConnectionMap)
    , m_chart(new RateChart)
    , m_latency(new LatencyView(traffic))
    , m_delivery(new DeliveryView(traffic))
    , m_timeline(new TimelineView(m_log))
    , m_treeView(new QTreeView)
    , m_details(new QTextBrowser)
    , m_connectionsSplitter(new QSplitter(Qt::Horizontal))
    , m_logView(new QTableView)
    , m_statsView(new QTableView)
    , m_splitter(new QSplitter(Qt::Vertical))
    , m_topTabs(new QTabWidget)
    , m_bottomTabs(new QTabWidget)
    , m_status(new QLabel)
{
    setWindowTitle(tr("ipc-monitor"));
    m_filter->setSourceModel(m_log);

    m_treeView->setModel(m_tree);
    m_treeView->setUniformRowHeights(true);
    m_treeView->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_connectionsSplitter->addWidget(m_treeView);
    m_connectionsSplitter->addWidget(m_details);
    m_connectionsSplitter->setStretchFactor(0, 2);
    m_connectionsSplitter->setStretchFactor(1, 1);
    connect(m_treeView->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &index) {
        showDetails();
        // The Delivery tab follows the tree's choice of connection.
        const QModelIndex current = index.siblingAtColumn(0);
        if (current.data(KindRole).toString() == QLatin1String("connection"))
            m_delivery->select(current.parent().parent().data(KeyRole).toString().mid(1).toLongLong(),
                               current.data(KeyRole).toString().mid(1).toULongLong());
    });
    m_topTabs->addTab(m_connectionsSplitter, tr("Connections"));
    m_topTabs->addTab(m_map, tr("Map"));
    m_topTabs->addTab(m_timeline, tr("Timeline"));
    connect(m_timeline, &TimelineView::messageClicked, this, &MainWindow::showLogRow);
    connect(m_topTabs, &QTabWidget::currentChanged, this, [this] { m_timeline->refresh(); });
    connect(m_bottomTabs, &QTabWidget::currentChanged, this, [this] {
        if (m_bottomTabs->currentWidget() == m_delivery)
            m_delivery->refresh();
    });
    m_bottomTabs->addTab(buildLogTab(), tr("Messages"));
    m_bottomTabs->addTab(buildStatsTab(), tr("Statistics"));
    m_bottomTabs->addTab(m_latency, tr("Latency"));
    m_bottomTabs->addTab(m_delivery, tr("Delivery"));

    m_splitter->addWidget(m_topTabs);
    m_splitter->addWidget(m_bottomTabs);
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 1);
    setCentralWidget(m_splitter);

    QToolBar *tools = addToolBar(tr("Monitor"));
    tools->setMovable(false);
    m_pause = tools->addAction(tr("Pause"), this, [this] { setPaused(!m_log->isPaused()); });
    tools->addAction(tr("Clear log"), m_log, &MessageLog::clear);
    tools->addAction(tr("Clear closed"), this, [this] {
        m_traffic->clearClosed();
        refreshNow();
    });
    tools->addSeparator();
    tools->addAction(tr("Record..."), this, &MainWindow::chooseRecording);
    tools->addAction(tr("Open..."), this, &MainWindow::openRecording);
    tools->addAction(tr("Export log..."), this, [this] { exportCsv(QStringLiteral("log")); });
    tools->addAction(tr("Export statistics..."), this, [this] { exportCsv(QStringLiteral("statistics")); });
    tools->addSeparator();
    tools->addAction(tr("Send test message..."), this, [this] {
        const QModelIndex current = m_treeView->currentIndex().siblingAtColumn(0);
        sendTestMessage(current.data(AddressRole).toString(), 1, QByteArray());
    });
    tools->addAction(tr("Replay"), this, &MainWindow::replaySelected);

    statusBar()->addWidget(m_status, 1);
    connect(m_traffic, &Traffic::messagesLogged, this, &MainWindow::onMessagesLogged);
    connect(&m_refresh, &QTimer::timeout, this, &MainWindow::refreshNow);
    connect(&m_tick, &QTimer::timeout, m_traffic, &Traffic::tick);
    m_refresh.start(300);
    m_tick.start(1000);
    resize(1280, 860);
    refreshNow();
}

QWidget *MainWindow::buildLogTab()
{
    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    auto *bar = new QHBoxLayout;
    m_typeFilter = new QLineEdit;
    m_typeFilter->setPlaceholderText(tr("only type or member"));
    m_typeFilter->setMaximumWidth(160);
    connect(m_typeFilter, &QLineEdit::textChanged, this,
            [this](const QString &text) { m_filter->setOnlyType(text); });
    m_direction = new QComboBox;
    m_direction->addItems({tr("both directions"), tr("received"), tr("sent")});
    connect(m_direction, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_filter->setDirection(index == 0 ? std::nullopt
                                          : std::optional<Direction>(index == 1 ? Direction::Received : Direction::Sent));
    });
    auto *endpoint = new QLineEdit;
    endpoint->setPlaceholderText(tr("endpoint"));
    connect(endpoint, &QLineEdit::textChanged, m_filter, &LogFilter::setEndpointText);
    auto *search = new QLineEdit;
    search->setPlaceholderText(tr("search"));
    connect(search, &QLineEdit::textChanged, m_filter, &LogFilter::setSearchText);
    auto *clearExcluded = new QPushButton(tr("Show excluded types"));
    connect(clearExcluded, &QPushButton::clicked, this, [this] { m_filter->clearExcluded(); });
    bar->addWidget(m_typeFilter);
    bar->addWidget(m_direction);
    bar->addWidget(endpoint, 1);
    bar->addWidget(search, 2);
    bar->addWidget(clearExcluded);
    layout->addLayout(bar);

    m_logView->setModel(m_filter);
    m_logView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_logView->verticalHeader()->hide();
    m_logView->verticalHeader()->setDefaultSectionSize(20);
    m_logView->horizontalHeader()->setStretchLastSection(true);
    m_logView->setColumnWidth(MessageLog::Time, 100);
    m_logView->setColumnWidth(MessageLog::Process, 150);
    m_logView->setColumnWidth(MessageLog::Endpoint, 170);
    m_logView->setColumnWidth(MessageLog::Peer, 130);
    m_logView->setColumnWidth(MessageLog::Direction, 40);
    m_logView->setColumnWidth(MessageLog::Type, 250); // room for "object.member(types)"
    m_logView->setColumnWidth(MessageLog::Size, 70);
    m_logView->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_logView, &QWidget::customContextMenuRequested, this, [this](const QPoint &at) {
        QMenu menu;
        menu.addAction(tr("Exclude this type"), this, &MainWindow::excludeSelectedType);
        menu.addAction(tr("Replay this message..."), this, &MainWindow::replaySelected);
        menu.exec(m_logView->viewport()->mapToGlobal(at));
    });
    // Follow new rows only while the view is at its bottom.
    connect(m_logView->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        m_followLog = value >= m_logView->verticalScrollBar()->maximum() - 2;
    });
    layout->addWidget(m_logView);
    return page;
}

QWidget *MainWindow::buildStatsTab()
{
    auto *page = new QWidget;
    auto *layout = new QHBoxLayout(page);
    m_statsView->setModel(m_stats);
    m_statsView->verticalHeader()->hide();
    m_statsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    layout->addWidget(m_statsView, 1);
    layout->addWidget(m_chart, 1);
    return page;
}

void MainWindow::showLogRow(int row)
{
    m_bottomTabs->setCurrentIndex(0); // Messages
    const QModelIndex index = m_filter->mapFromSource(m_log->index(row, 0));
    if (!index.isValid()) {
        statusBar()->showMessage(tr("That message is hidden by the log's filters"), 5000);
        return;
    }
    m_logView->setCurrentIndex(index);
    m_logView->scrollTo(index, QAbstractItemView::PositionAtCenter);
}

void MainWindow::showDetails()
{
    const QModelIndex current = m_treeView->currentIndex().siblingAtColumn(0);
    QString html;
    if (current.data(KindRole).toString() == QLatin1String("connection")) {
        const quint64 id = current.data(KeyRole).toString().mid(1).toULongLong();
        const qint64 pid = current.parent().parent().data(KeyRole).toString().mid(1).toLongLong();
        html = connectionDetails(*m_traffic, pid, id);
    }
    if (html.isEmpty())
        html = tr("<p>Select a connection to see everything known about it: its peer and how the system vouches "
                  "for it, its security and handshake hash, its traffic, what it has sent and not yet seen "
                  "confirmed, the requests made on it and what went wrong on it.</p>");
    if (html != m_shownDetails) { // only when it changed: a refresh keeps the scroll position
        const int scroll = m_details->verticalScrollBar()->value();
        m_details->setHtml(html);
        m_details->verticalScrollBar()->setValue(scroll);
        m_shownDetails = html;
    }
}

void MainWindow::restoreLayout(QSettings *settings)
{
    m_layoutSettings = settings;
    settings->beginGroup(QStringLiteral("window"));
    if (settings->contains(QStringLiteral("geometry")))
        restoreGeometry(settings->value(QStringLiteral("geometry")).toByteArray());
    m_splitter->restoreState(settings->value(QStringLiteral("splitter")).toByteArray());
    m_connectionsSplitter->restoreState(settings->value(QStringLiteral("connectionsSplitter")).toByteArray());
    m_treeView->header()->restoreState(settings->value(QStringLiteral("treeColumns")).toByteArray());
    m_logView->horizontalHeader()->restoreState(settings->value(QStringLiteral("logColumns")).toByteArray());
    m_statsView->horizontalHeader()->restoreState(settings->value(QStringLiteral("statisticsColumns")).toByteArray());
    m_topTabs->setCurrentIndex(settings->value(QStringLiteral("topTab"), 0).toInt());
    m_bottomTabs->setCurrentIndex(settings->value(QStringLiteral("bottomTab"), 0).toInt());
    settings->endGroup();
}

void MainWindow::saveLayout(QSettings *settings) const
{
    settings->beginGroup(QStringLiteral("window"));
    settings->setValue(QStringLiteral("geometry"), saveGeometry());
    settings->setValue(QStringLiteral("splitter"), m_splitter->saveState());
    settings->setValue(QStringLiteral("connectionsSplitter"), m_connectionsSplitter->saveState());
    settings->setValue(QStringLiteral("treeColumns"), m_treeView->header()->saveState());
    settings->setValue(QStringLiteral("logColumns"), m_logView->horizontalHeader()->saveState());
    settings->setValue(QStringLiteral("statisticsColumns"), m_statsView->horizontalHeader()->saveState());
    settings->setValue(QStringLiteral("topTab"), m_topTabs->currentIndex());
    settings->setValue(QStringLiteral("bottomTab"), m_bottomTabs->currentIndex());
    settings->endGroup();
    settings->sync();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_layoutSettings)
        saveLayout(m_layoutSettings);
    QMainWindow::closeEvent(event);
}

void MainWindow::setPaused(bool paused)
{
    m_log->setPaused(paused);
    m_pause->setText(paused ? tr("Resume") : tr("Pause"));
}

void MainWindow::onMessagesLogged(const QList<LoggedMessage> &messages)
{
    const bool follow = m_followLog;
    m_log->append(messages);
    if (follow && !m_log->isPaused())
        m_logView->scrollToBottom();
}

void MainWindow::refreshNow()
{
    m_tree->refresh(*m_traffic);
    m_treeView->expandAll();
    m_map->refresh(*m_traffic);
    m_stats->refresh(*m_traffic);
    m_chart->refresh(*m_traffic);
    m_latency->refresh();
    if (m_bottomTabs->currentWidget() == m_delivery) // copies every connection's history: only when seen
        m_delivery->refresh();
    if (m_topTabs->currentWidget() == m_timeline) // built from the whole log: only when seen
        m_timeline->refresh();
    showDetails();
    int live = 0;
    for (const auto &process : m_traffic->processes()) {
        for (const auto &connection : process.second.connections)
            live += connection.second.closed ? 0 : 1;
    }
    QString text = tr("Collecting at %1 - %2 process(es), %3 live connection(s), %4 event(s); not reported: %5 sample(s), %6 event(s)")
                       .arg(m_collectorAddress)
                       .arg(m_traffic->processes().size())
                       .arg(live)
                       .arg(m_traffic->eventCount())
                       .arg(m_traffic->droppedSamples())
                       .arg(m_traffic->droppedEvents());
    if (m_log->isPaused())
        text += tr(" - log paused, %1 message(s) not shown").arg(m_log->missedWhilePaused());
    if (m_recorder.isOpen())
        text += tr(" - recording");
    m_status->setText(text);
}

bool MainWindow::startRecording(const QString &path, QString *error)
{
    return m_recorder.open(path, error);
}

void MainWindow::chooseRecording()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Record to"), QString(), tr("JSON lines (*.jsonl)"));
    QString error;
    if (!path.isEmpty() && !startRecording(path, &error))
        QMessageBox::warning(this, tr("Record"), error);
}

void MainWindow::openRecording()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a recording"), QString(), tr("JSON lines (*.jsonl)"));
    if (path.isEmpty())
        return;
    QString error;
    const bool ok = readRecording(path, [this](qint64, quint64 source, int type, const QCborMap &event) {
        if (type == 0)
            m_traffic->sourceGone(source);
        else
            m_traffic->apply(source, ipc::telemetry::EventType(type), event);
    }, &error);
    if (!ok)
        QMessageBox::warning(this, tr("Open"), error);
    refreshNow();
}

void MainWindow::exportCsv(const QString &what)
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export %1").arg(what), what + QStringLiteral(".csv"),
                                                      tr("CSV (*.csv)"));
    if (path.isEmpty())
        return;
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        QMessageBox::warning(this, tr("Export"), tr("cannot write %1: %2").arg(path, file.errorString()));
        return;
    }
    file.write((what == QLatin1String("log") ? m_log->toCsv() : m_stats->toCsv()).toUtf8());
}

void MainWindow::sendTestMessage(const QString &address, qint32 type, const QByteArray &data)
{
    auto *dialog = new SendDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setMessage(address, type, data);
    dialog->show();
}

void MainWindow::replaySelected()
{
    const QModelIndex index = m_logView->currentIndex();
    if (!index.isValid())
        return;
    const LoggedMessage message = m_filter->mapToSource(index).data(Qt::UserRole).value<LoggedMessage>();
    if (!message.payloadReported) {
        QMessageBox::information(this, tr("Replay"),
                                 tr("This message's payload was not reported; turn on reportPayloads for its "
                                    "endpoint to replay it."));
        return;
    }
    sendTestMessage(message.endpointAddress, message.type, message.payload);
}

void MainWindow::excludeSelectedType()
{
    const QModelIndex index = m_logView->currentIndex();
    if (index.isValid())
        m_filter->excludeType(m_filter->mapToSource(index).data(Qt::UserRole).value<LoggedMessage>().key());
}

} // namespace monitor
