// Listens on a unix socket file: owner-only unless asked, one server per
// name (a lock file beside it), a crashed server's file replaced, every
// waiting connection accepted per pass, descriptor exhaustion survived, and
// a socket file deleted or replaced under it noticed. Only its own file is
// removed on close.
#pragma once

#include "listener.h"
#include "transport/name_lock.h"

#include <QTimer>

#include <memory>

namespace ipc {

namespace transport {
class AcceptLoop;
}

class UnixListener : public Listener
{
    Q_OBJECT

public:
    UnixListener();
    ~UnixListener() override;

    bool listen(const Address &address, const Options &options) override;
    void close() override;
    QString listeningAddress() const override;

private:
    bool clearStaleSocket();
    bool bindSocket();
    void onAccepted(int descriptor);
    void checkSocketFile();
    void closeSocket();

    QString m_path;
    bool m_worldAccess = false;
    transport::NameLock m_lock;
    int m_fd = -1;
    transport::FileIdentity m_file; // the socket file we made
    std::unique_ptr<transport::AcceptLoop> m_accepting;
    QTimer m_fileCheck;
    bool m_fileTroubleReported = false;
};

} // namespace ipc
