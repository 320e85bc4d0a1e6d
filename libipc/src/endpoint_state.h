// EndpointState: what a Client or a Server says about itself, held in one
// place: its status, changed only through moveTo(), and its last error;
// telemetry hears of each change through the observer. The owner emits its
// own signals after moveTo() has returned, so a slot sees a consistent object.
#pragma once

#include "session_observer.h"

#include <ipc/types.h>

#include <QPointer>
#include <QString>

namespace ipc {

class EndpointState
{
public:
    explicit EndpointState(Monitoring monitoring)
        : endpoint(nextConnectionId())
        , observer(observerFor(monitoring))
    {
    }

    // True when the status changed (the owner then emits statusChanged()).
    bool moveTo(Status next)
    {
        if (status == next)
            return false;
        status = next;
        if (observer && observing)
            observer->endpointStatusChanged(endpoint, next);
        return true;
    }
    // The one transition of a Client or Server: moves to `next`, then emits
    // the owner's stateChanged() (when its State, the status seen without
    // the ways of being stopped, changed) and statusChanged(), last. False
    // when a slot deleted the owner.
    template <typename Owner>
    bool changeStatus(Owner *owner, Status next, typename Owner::State (*stateOf)(Status))
    {
        const auto before = stateOf(status);
        if (!moveTo(next))
            return true;
        const QPointer<Owner> alive(owner);
        if (stateOf(next) != before)
            Q_EMIT owner->stateChanged(stateOf(next));
        if (alive)
            Q_EMIT owner->statusChanged(next);
        return !alive.isNull();
    }
    void setError(Error e, const QString &reason)
    {
        error = e;
        errorString = reason;
    }
    void startObserving(protocol::Role role, const QString &address, Protocol protocol, bool reportPayloads)
    {
        if (!observer || observing)
            return;
        observing = true;
        observer->endpointOpened(endpoint, role, address, protocol, reportPayloads);
    }
    void stopObserving()
    {
        if (observer && observing)
            observer->endpointClosed(endpoint);
        observing = false;
    }

    Status status = Status::NotConnected;
    Error error = Error::NoError;
    QString errorString;
    // Telemetry: this endpoint's id and where it reports (null: nowhere).
    const quint64 endpoint;
    SessionObserver *const observer;
    bool observing = false;
};

} // namespace ipc
