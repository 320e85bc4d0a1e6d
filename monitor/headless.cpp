#include "headless.h"

#include "event_json.h"
#include "summary.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QTextStream>

namespace monitor {

namespace {

void print(const QStringList &lines)
{
    if (lines.isEmpty())
        return;
    QTextStream out(stdout);
    for (const QString &line : lines)
        out << line << '\n';
    out.flush();
}

} // namespace

Headless::Headless(Collector *collector, Traffic *traffic, HeadlessOptions options, QObject *parent)
    : QObject(parent)
    , m_traffic(traffic)
    , m_options(options)
{
    // Rates are per second, as in the window.
    connect(&m_tick, &QTimer::timeout, m_traffic, &Traffic::tick);
    m_tick.start(1000);
    if (m_options.summarySeconds > 0) {
        connect(&m_summary, &QTimer::timeout, this, &Headless::printSummary);
        m_summary.start(m_options.summarySeconds * 1000);
        return;
    }
    // After Traffic applied the event, so that a Hello names its process.
    connect(collector, &Collector::eventReceived, this, &Headless::onEvent);
    connect(&m_release, &QTimer::timeout, this,
            [this] { print(m_ordered.takeReady(QDateTime::currentMSecsSinceEpoch())); });
    m_release.start(100);
}

void Headless::onEvent(quint64 source, ipc::telemetry::EventType type, const QCborMap &event)
{
    const ProcessState *process = m_traffic->processOf(source);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_ordered.add(m_options.json ? eventJson(process, type, event, now) : describeEvent(process, type, event, now));
}

void Headless::printSummary()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (m_options.json)
        print({QString::fromUtf8(QJsonDocument(summaryJson(*m_traffic, now)).toJson(QJsonDocument::Compact))});
    else
        print({summaryText(*m_traffic, now)});
}

void Headless::finish()
{
    if (m_options.summarySeconds > 0)
        printSummary();
    else
        print(m_ordered.takeAll());
}

} // namespace monitor
