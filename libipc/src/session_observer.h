// What a Session, Server or Client tells an observer (telemetry) about its
// endpoint and connections. A connection's calls carry the context its
// connectionOpened() returned, so an observer finds its state for a message
// without a lookup. Null by default: when unset a session pays one pointer
// check per message. Calls come from the object's thread, several threads
// at once when objects live in several; an observer must not block.
#pragma once

#include "delivery.h"
#include "object_names.h"
#include "protocol/adapter.h"
#include "wire/control.h"

#include <ipc/config.h>
#include <ipc/telemetry.h>
#include <ipc/types.h>

#include <chrono>
#include <tuple>

namespace ipc {

// Who is at the other end of a new connection, as far as the system says.
struct ConnectionFacts
{
    quint64 id = 0;       // the connection's id (a Server's client id)
    quint64 endpoint = 0; // the Server's or Client's endpoint id
    protocol::Role role = protocol::Role::Client;
    QString peerAddress;
    qint64 peerPid = -1; // from the socket's credentials, -1 when unknown (TCP)
    qint64 peerUid = -1;
};

// A connection's delivery state, as its session sees it a few times a second.
struct DeliveryState
{
    qint64 unconfirmed = 0; // written, not yet confirmed by the peer (the window)
    qint64 unconfirmedBytes = 0;
    qint64 windowMessages = 0; // the window's limits
    qint64 windowBytes = 0;
    qint64 queued = 0; // accepted, waiting for room in the window
    qint64 queuedBytes = 0;
    qint64 socketBytes = 0; // written, not yet taken by the system
    bool acknowledging = false; // without acknowledgements the window stays empty
    bool resumed = false; // this connection picked up where an earlier one to the peer left off
    DeliveryLedger::Totals totals;
    bool operator==(const DeliveryState &other) const
    {
        return std::tie(unconfirmed, unconfirmedBytes, windowMessages, windowBytes, queued, queuedBytes, socketBytes,
                        acknowledging, resumed, totals)
            == std::tie(other.unconfirmed, other.unconfirmedBytes, other.windowMessages, other.windowBytes,
                        other.queued, other.queuedBytes, other.socketBytes, other.acknowledging, other.resumed,
                        other.totals);
    }
};

class SessionObserver
{
public:
    virtual ~SessionObserver();

    // A Server listens, or a Client starts; its end.
    virtual void endpointOpened(quint64 endpoint, protocol::Role role, const QString &address, Protocol protocol,
                                bool reportPayloads);
    virtual void endpointStatusChanged(quint64 endpoint, Status status);
    virtual void endpointClosed(quint64 endpoint);

    // A connection exists (accepted, or connected to the server), before
    // any handshake. Returns the context for the calls below.
    virtual void *connectionOpened(const ConnectionFacts &facts);
    // The handshake is done: the wire, what the peer said, how it is protected.
    virtual void connectionEstablished(void *context, Protocol protocol, const PeerInfo &peer,
                                       const EncryptionInfo &encryption);
    // A user message was handed to the application, or to the wire, with
    // the tag that made it a request, a reply or object traffic (or none).
    virtual void messageReceived(void *context, qint32 type, const QByteArray &data, const wire::Correlation &tag);
    virtual void messageSent(void *context, qint32 type, const QByteArray &data, const wire::Correlation &tag);
    // A write this connection refused; the connection goes on.
    virtual void errorOccurred(void *context, Error error, const QString &reason);
    // Once per connection, the last call with its context: error is NoError
    // for an orderly end.
    virtual void connectionFinished(void *context, Error error, const QString &reason);
    // The connection's delivery state: once it is established, then every
    // DeliveryInterval while it lasts (from a timer only reporting sessions
    // have), and a last time as it finishes.
    static constexpr std::chrono::milliseconds DeliveryInterval{250};
    virtual void deliveryChanged(void *context, const DeliveryState &state);
    // An endpoint's remote object (one it exposes, or one it acquired) and
    // the names of its members; kept until the endpoint closes.
    virtual void objectNamed(quint64 endpoint, const ObjectNames &names);
    // A request or object call this endpoint made: requestLabel() when it
    // opens (for an object call, which member; 0 for a request), and
    // requestEnded() once, with how it ended and how long after it opened.
    // `peer` is the client's id on a server, 0 on a client.
    virtual quint64 requestLabel(qint32 type, const QByteArray &data, const wire::Correlation &tag);
    virtual void requestEnded(quint64 endpoint, quint64 peer, qint32 type, quint64 label,
                              telemetry::RequestOutcome outcome, qint64 nanoseconds);
};

// The observer Servers and Clients created from now on give their sessions
// (tests install their own). Unset, telemetry decides per endpoint.
SessionObserver *defaultSessionObserver();
void setDefaultSessionObserver(SessionObserver *observer);
// How telemetry plugs in without the core knowing it: a factory that gives
// the observer an endpoint with this setting reports to (null: none).
// Monitoring::Off never reaches it. Registered by telemetry/ at load time.
using ObserverFactory = SessionObserver *(*)(Monitoring monitoring);
void setObserverFactory(ObserverFactory factory);
// What an endpoint with this setting reports to: the installed observer,
// else what the registered factory gives, else null.
SessionObserver *observerFor(Monitoring monitoring);

// Ids for endpoints and connections, unique in this process (a Server's
// client ids too).
quint64 nextConnectionId();

} // namespace ipc
