// Sends one test message to a server, or replays a recorded one: address,
// type, data as text or hex, encryption and pre-shared key as the server
// needs. Non-blocking: the outcome shows in the dialog.
#pragma once

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace ipc {
class Client;
}

namespace monitor {

class SendDialog : public QDialog
{
    Q_OBJECT

public:
    explicit SendDialog(QWidget *parent = nullptr);
    void setMessage(const QString &address, qint32 type, const QByteArray &data);
    QString outcome() const;

public Q_SLOTS:
    void send();

Q_SIGNALS:
    void finished(bool delivered);

private:
    QByteArray data() const;

    QLineEdit *m_address;
    QSpinBox *m_type;
    QPlainTextEdit *m_data;
    QCheckBox *m_hex;
    QCheckBox *m_encryption;
    QLineEdit *m_psk;
    QLabel *m_outcome;
    ipc::Client *m_client = nullptr;
};

} // namespace monitor
