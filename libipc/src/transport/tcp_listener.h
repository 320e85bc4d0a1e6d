// Listens on a TCP address with TCP_NODELAY on every accepted connection.
#pragma once

#include "listener.h"

class QTcpServer;

namespace ipc {

class TcpListener : public Listener
{
    Q_OBJECT

public:
    TcpListener();
    ~TcpListener() override;

    bool listen(const Address &address, const Options &options) override;
    void close() override;
    QString listeningAddress() const override;

private:
    void acceptPending();

    QTcpServer *m_server;
};

} // namespace ipc
