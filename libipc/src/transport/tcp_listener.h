// Listens on a TCP address with TCP_NODELAY on every accepted connection.
#pragma once

#include "listener.h"

#include <memory>

class QTcpServer;

namespace ipc {

namespace transport {
class AcceptLoop;
}

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
#ifdef Q_OS_UNIX
    std::unique_ptr<transport::AcceptLoop> m_accepting; // accepts instead of QTcpServer
#endif
};

} // namespace ipc
