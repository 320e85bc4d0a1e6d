#include "session_observer.h"

#include <atomic>

namespace ipc {

namespace {
std::atomic<SessionObserver *> defaultObserver{nullptr};
std::atomic<quint64> lastConnectionId{0};
} // namespace

SessionObserver::~SessionObserver() = default;
void SessionObserver::connectionOpened(quint64, protocol::Role, const QString &) {}
void SessionObserver::connectionEstablished(quint64, Protocol, const PeerInfo &, const EncryptionInfo &) {}
void SessionObserver::messageReceived(quint64, qint32, qsizetype) {}
void SessionObserver::messageSent(quint64, qint32, qsizetype) {}
void SessionObserver::errorOccurred(quint64, Error, const QString &) {}
void SessionObserver::connectionFinished(quint64, Error, const QString &) {}

SessionObserver *defaultSessionObserver()
{
    return defaultObserver.load(std::memory_order_acquire);
}

void setDefaultSessionObserver(SessionObserver *observer)
{
    defaultObserver.store(observer, std::memory_order_release);
}

quint64 nextConnectionId()
{
    return lastConnectionId.fetch_add(1, std::memory_order_relaxed) + 1;
}

} // namespace ipc
