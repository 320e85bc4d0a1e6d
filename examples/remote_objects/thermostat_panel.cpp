// The thermostat panel: a Qt Widgets window that mirrors the daemon's
// thermostat through a typed replica. It shows the replica's state, keeps
// working across a broken connection, and resynchronises when the daemon
// restarts.
//
//   thermostat_panel [--address ADDRESS] [--screenshot FILE]
#include "thermostat_replica.h"

#include <ipc/client.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QMetaEnum>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace {

QString stateText(ipc::Replica::State state)
{
    switch (state) {
    case ipc::Replica::State::Waiting:
        return QStringLiteral("waiting for the thermostat…");
    case ipc::Replica::State::Valid:
        return QStringLiteral("connected");
    case ipc::Replica::State::Suspect:
        return QStringLiteral("connection lost: showing the last values");
    case ipc::Replica::State::InterfaceMismatch:
        return QStringLiteral("incompatible thermostat");
    case ipc::Replica::State::SourceGone:
        return QStringLiteral("no thermostat");
    }
    return {};
}

class Panel : public QWidget
{
public:
    Panel(ipc::Client &client, ThermostatReplica &thermostat)
        : m_thermostat(thermostat)
    {
        setWindowTitle(QStringLiteral("Thermostat"));
        auto *form = new QFormLayout;
        m_temperature = new QLabel;
        QFont big = m_temperature->font();
        big.setPointSize(big.pointSize() * 2);
        m_temperature->setFont(big);
        m_heating = new QLabel;
        m_target = new QDoubleSpinBox;
        m_target->setRange(5, 30);
        m_target->setSingleStep(0.5);
        m_target->setSuffix(QStringLiteral(" °C"));
        form->addRow(QStringLiteral("Temperature"), m_temperature);
        form->addRow(QStringLiteral("Target"), m_target);
        form->addRow(QStringLiteral("Heating"), m_heating);
        m_state = new QLabel;
        m_note = new QLabel;
        m_note->setWordWrap(true);
        auto *describe = new QPushButton(QStringLiteral("Describe"));
        auto *boost = new QPushButton(QStringLiteral("Boost 10 min"));
        auto *layout = new QVBoxLayout(this);
        layout->addLayout(form);
        layout->addWidget(describe);
        layout->addWidget(boost);
        layout->addWidget(m_state);
        layout->addWidget(m_note);
        setMinimumWidth(320);

        // Ordinary connects to the replica's signals.
        connect(&thermostat, &ThermostatReplica::temperatureChanged, this, &Panel::refresh);
        connect(&thermostat, &ThermostatReplica::heatingChanged, this, &Panel::refresh);
        connect(&thermostat, &ThermostatReplica::targetChanged, this, &Panel::refresh);
        connect(&thermostat, &ThermostatReplica::stateChanged, this, &Panel::refresh);
        connect(&thermostat, &ThermostatReplica::alarm, this,
            [this](const QString &text) { m_note->setText(QStringLiteral("⚠ ") + text); });
        connect(&thermostat, &ThermostatReplica::resynchronized, this, [this](quint64 missed) {
            m_note->setText(missed > 0
                    ? QStringLiteral("caught up (%1 updates missed)").arg(missed)
                    : QStringLiteral("the thermostat restarted; values read again"));
        });
        // A change by the user asks the source; the replica follows when it took it.
        connect(m_target, &QDoubleSpinBox::editingFinished, this, [this] {
            if (m_target->value() != m_thermostat.target())
                m_thermostat.setTarget(m_target->value());
        });
        connect(describe, &QPushButton::clicked, this, [this] {
            m_thermostat.describe()
                .then(this, [this](const QString &text) { m_note->setText(text); })
                .onFailed(this, [this](const ipc::RemoteCallError &error) {
                    m_note->setText(error.errorString());
                });
        });
        connect(boost, &QPushButton::clicked, this, [this] { m_thermostat.boost(10); });
        Q_UNUSED(client)
        refresh();
    }

private:
    void refresh()
    {
        const bool valid = m_thermostat.isValid();
        const bool known = valid || m_thermostat.state() == ipc::Replica::State::Suspect;
        m_temperature->setText(known
                ? QStringLiteral("%1 °C").arg(m_thermostat.temperature(), 0, 'f', 1)
                : QStringLiteral("–"));
        m_heating->setText(known
                ? (m_thermostat.heating() ? QStringLiteral("on") : QStringLiteral("off"))
                : QStringLiteral("–"));
        if (!m_target->hasFocus() && known)
            m_target->setValue(m_thermostat.target());
        m_target->setEnabled(valid);
        m_state->setText(stateText(m_thermostat.state()));
    }

    ThermostatReplica &m_thermostat;
    QLabel *m_temperature;
    QLabel *m_heating;
    QDoubleSpinBox *m_target;
    QLabel *m_state;
    QLabel *m_note;
};

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("A panel that mirrors thermostat_daemon's thermostat."));
    parser.addHelpOption();
    const QCommandLineOption address(QStringLiteral("address"),
        QStringLiteral("The daemon's address (default thermostat)."), QStringLiteral("address"),
        QStringLiteral("thermostat"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
        QStringLiteral("Save the window to FILE once the values are in, and exit."),
        QStringLiteral("file"));
    parser.addOptions({ address, screenshot });
    parser.process(app);

    ipc::Client client(parser.value(address));
    std::unique_ptr<ThermostatReplica> thermostat(
        client.acquire<ThermostatReplica>(QStringLiteral("thermostat")));
    Panel panel(client, *thermostat);
    panel.show();
    if (parser.isSet(screenshot)) {
        QObject::connect(thermostat.get(), &ThermostatReplica::stateChanged, &panel,
            [&](ipc::Replica::State state) {
                if (state == ipc::Replica::State::SourceGone
                    || state == ipc::Replica::State::InterfaceMismatch) {
                    // Nothing to take a picture of: say why rather than wait forever.
                    qCritical("thermostat_panel: %s", qPrintable(thermostat->errorString()));
                    QApplication::exit(1);
                    return;
                }
                if (state != ipc::Replica::State::Valid)
                    return;
                // One more turn of the event loop, so the labels are painted.
                QTimer::singleShot(0, &panel, [&] {
                    const bool saved = panel.grab().save(parser.value(screenshot));
                    QApplication::exit(saved ? 0 : 1);
                });
            });
    }
    return app.exec();
}
