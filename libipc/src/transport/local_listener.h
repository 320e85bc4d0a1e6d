// Listens on a unix socket (or Windows named pipe): owner-only unless asked,
// refuses a name a live server holds, and replaces a crashed server's file.
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
    bool clearStaleSocket(const QString &path);
    bool removeStaleSocket(const QString &path);
    void acceptPending();

    QLocalServer *m_server;
};

} // namespace ipc
