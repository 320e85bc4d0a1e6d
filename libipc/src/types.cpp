#include <ipc/message.h>
#include <ipc/reply.h>
#include <ipc/types.h>

namespace ipc {

const char *libraryVersion()
{
    return IPC_VERSION_STRING;
}

QString statusString(Status status)
{
    switch (status) {
    case Status::NotConnected: return QStringLiteral("Not Connected");
    case Status::Listening: return QStringLiteral("Listening");
    case Status::Connecting: return QStringLiteral("Connecting");
    case Status::Connected: return QStringLiteral("Connected");
    case Status::Reconnecting: return QStringLiteral("Reconnecting");
    case Status::Closed: return QStringLiteral("Closed");
    case Status::Closing: return QStringLiteral("Closing");
    case Status::Error: return QStringLiteral("Error");
    case Status::Timeout: return QStringLiteral("Timeout");
    case Status::Disconnected: return QStringLiteral("Disconnected");
    }
    return QStringLiteral("Unknown");
}

namespace {
// Queued connections need the types registered before the first signal.
const int registered = [] {
    qRegisterMetaType<ipc::Message>();
    qRegisterMetaType<ipc::Reply>();
    qRegisterMetaType<ipc::Status>();
    qRegisterMetaType<ipc::Error>();
    qRegisterMetaType<ipc::EncryptionInfo>();
    qRegisterMetaType<ipc::PeerInfo>();
    qRegisterMetaType<ipc::ClientInfo>();
    return 0;
}();
} // namespace

} // namespace ipc
