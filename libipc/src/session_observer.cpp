#include "session_observer.h"

#include <atomic>

namespace ipc {

namespace {
std::atomic<SessionObserver *> defaultObserver{nullptr};
std::atomic<ObserverFactory> observerFactory{nullptr};
std::atomic<quint64> lastConnectionId{0};
} // namespace

SessionObserver::~SessionObserver() = default;
void SessionObserver::endpointOpened(quint64, protocol::Role, const QString &, Protocol, bool) {}
void SessionObserver::endpointStatusChanged(quint64, Status) {}
void SessionObserver::endpointClosed(quint64) {}
void *SessionObserver::connectionOpened(const ConnectionFacts &)
{
    return nullptr;
}
void SessionObserver::connectionEstablished(void *, Protocol, const PeerInfo &, const EncryptionInfo &) {}
void SessionObserver::messageReceived(void *, qint32, const QByteArray &, const wire::Correlation &) {}
void SessionObserver::messageSent(void *, qint32, const QByteArray &, const wire::Correlation &) {}
void SessionObserver::errorOccurred(void *, Error, const QString &) {}
void SessionObserver::connectionFinished(void *, Error, const QString &) {}
void SessionObserver::deliveryChanged(void *, const DeliveryState &) {}
void SessionObserver::objectNamed(quint64, const ObjectNames &) {}
quint64 SessionObserver::requestLabel(qint32, const QByteArray &, const wire::Correlation &)
{
    return 0;
}
void SessionObserver::requestEnded(quint64, quint64, qint32, quint64, telemetry::RequestOutcome, qint64) {}

SessionObserver *defaultSessionObserver()
{
    return defaultObserver.load(std::memory_order_acquire);
}

void setDefaultSessionObserver(SessionObserver *observer)
{
    defaultObserver.store(observer, std::memory_order_release);
}

void setObserverFactory(ObserverFactory factory)
{
    observerFactory.store(factory, std::memory_order_release);
}

SessionObserver *observerFor(Monitoring monitoring)
{
    if (SessionObserver *installed = defaultSessionObserver())
        return installed;
    const ObserverFactory factory = observerFactory.load(std::memory_order_acquire);
    return factory && monitoring != Monitoring::Off ? factory(monitoring) : nullptr;
}

quint64 nextConnectionId()
{
    return lastConnectionId.fetch_add(1, std::memory_order_relaxed) + 1;
}

} // namespace ipc
