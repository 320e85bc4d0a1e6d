// Listens on a named pipe through QLocalServer: the listener of systems
// without unix sockets (Windows). Unix systems use UnixListener.
#pragma once

#include "listener.h"

class QLocalServer;

namespace ipc {

class LocalListener : public Listener
{
    Q_OBJECT

public:
    LocalListener();
    ~LocalListener() override;

    bool listen(const Address &address, const Options &options) override;
    void close() override;
    QString listeningAddress() const override;

private:
    void acceptPending();

    QLocalServer *m_server;
};

} // namespace ipc
