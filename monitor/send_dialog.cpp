#include "send_dialog.h"

#include <ipc/client.h>

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>

namespace monitor {

SendDialog::SendDialog(QWidget *parent)
    : QDialog(parent)
    , m_address(new QLineEdit)
    , m_type(new QSpinBox)
    , m_data(new QPlainTextEdit)
    , m_hex(new QCheckBox(tr("Data is hex")))
    , m_encryption(new QCheckBox(tr("Require encryption")))
    , m_psk(new QLineEdit)
    , m_outcome(new QLabel)
{
    setWindowTitle(tr("Send a test message"));
    m_address->setPlaceholderText(tr("name, /path.sock or tcp://host:port"));
    m_type->setRange(1, 2147483647);
    m_encryption->setChecked(true);
    m_psk->setPlaceholderText(tr("64 hex digits, if the server has a pre-shared key"));
    m_outcome->setWordWrap(true);
    auto *form = new QFormLayout(this);
    form->addRow(tr("Server address"), m_address);
    form->addRow(tr("Type"), m_type);
    form->addRow(tr("Data"), m_data);
    form->addRow(QString(), m_hex);
    form->addRow(QString(), m_encryption);
    form->addRow(tr("Pre-shared key"), m_psk);
    form->addRow(m_outcome);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QPushButton *sendButton = buttons->addButton(tr("Send"), QDialogButtonBox::AcceptRole);
    connect(sendButton, &QPushButton::clicked, this, &SendDialog::send);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

void SendDialog::setMessage(const QString &address, qint32 type, const QByteArray &data)
{
    m_address->setText(address);
    m_type->setValue(type);
    m_hex->setChecked(true);
    m_data->setPlainText(QString::fromLatin1(data.toHex(' ')));
}

QString SendDialog::outcome() const
{
    return m_outcome->text();
}

QByteArray SendDialog::data() const
{
    const QString text = m_data->toPlainText();
    return m_hex->isChecked() ? QByteArray::fromHex(text.toLatin1()) : text.toUtf8();
}

void SendDialog::send()
{
    if (m_client)
        m_client->deleteLater();
    ipc::ClientConfig config;
    config.monitoring = ipc::Monitoring::Off;
    config.encryptionRequired = m_encryption->isChecked();
    config.preSharedKey = QByteArray::fromHex(m_psk->text().toLatin1());
    config.timeout = std::chrono::seconds(5);
    m_client = new ipc::Client(m_address->text().trimmed(), config, this);
    m_outcome->setText(tr("Connecting to %1 ...").arg(m_address->text()));
    ipc::Client *client = m_client;
    connect(client, &ipc::Client::errorOccurred, this, [this, client] {
        m_outcome->setText(tr("Not sent: %1").arg(client->errorString()));
    });
    connect(client, &ipc::Client::messagesDropped, this, [this, client] {
        m_outcome->setText(tr("Not delivered: %1").arg(client->errorString()));
        Q_EMIT finished(false);
    });
    connect(client, &ipc::Client::messagesDelivered, this, [this, client] {
        m_outcome->setText(tr("Delivered over %1.").arg(client->encryption().protocol));
        Q_EMIT finished(true);
    });
    if (client->write(m_type->value(), data()))
        client->disconnectFromServer(); // delivers, then leaves
}

} // namespace monitor
