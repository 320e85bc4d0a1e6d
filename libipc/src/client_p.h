// ClientPrivate: a Client is one Link to its server plus the policy that
// keeps it connected (attempts, retries, the client's timeout, a graceful
// disconnect). Everything about sending, writability and requests is the
// Link's.
#pragma once

#include <ipc/client.h>

#include "address.h"
#include "cross_thread.h"
#include "endpoint_state.h"
#include "wait_inbox.h"
#include "link.h"
#include "objects/object_endpoint.h"

#include <QElapsedTimer>
#include <QTimer>

#include <map>

namespace ipc {

class ClientPrivate : public EndpointState
{
public:
    ClientPrivate(Client *q, const QString &addressText, const ClientConfig &config);

    DeliveryLedger &ledger() const { return *link.ledger(); }
    Session *session() const { return link.session(); }

    // The one place the status (and so the state) changes; the signals go
    // out last. False when a slot deleted the object.
    bool setStatus(Status status);
    static Client::State stateOf(Status status);
    bool fail(Error error, const QString &reason);
    bool fail(const Result &result) { return fail(result.error, result.reason); }
    // A client also counts as trying before its first attempt has begun.
    bool isTrying() const
    {
        return startPending || status == Status::Connecting || status == Status::Reconnecting;
    }
    // The constructor's cause stays: later calls report it again unchanged.
    bool failMisconfigured();

    // Connecting: attempts, their limits and the retry policy.
    void start(Status trying);
    void attempt();
    void onStreamConnected();
    void onAttemptFailed(Error error, const QString &reason);
    void onAttemptTimedOut();
    void retryOrGiveUp(Error error, const QString &reason);
    void giveUp(Status finalStatus, Error error, const QString &reason);

    // The link's handlers.
    Link::Handlers handlers();
    DeliveryLedger *attachLedger(Session *session);
    void onEstablished();
    void onDelivered(int count);
    void onRefused(int count, Error error, const QString &reason);
    void onSessionFinished(Error error, const QString &reason);

    // Counts and reports what was given up; requests among it fail with
    // requestError. False when a slot or continuation deleted the client.
    bool reportDropped(int count, const QString &why, Error requestError = Error::NotConnected);
    void dropAll(const QString &why);
    // Requests the server received but can no longer answer (it said
    // goodbye, or a new server process took its place). False when a
    // continuation deleted the client.
    bool failAnsweredNever(const QString &why);
    void checkDisconnectDone();
    void onDisconnectTimeout();
    void discardConnection();

    // write(), request() and reply(): a message, tagged or not, now or queued.
    Result send(qint32 type, const QByteArray &data, const wire::Correlation &tag);
    bool answer(const Message &request, const Answer &answer);
    // A request, or (kind Object) a remote-object call.
    void startRequest(qint32 type, const QByteArray &data, std::chrono::milliseconds timeout,
                      QPromise<Reply> promise, wire::Correlation::Kind kind = wire::Correlation::Request);
    // The remote-object layer, made on first use.
    objects::ObjectEndpoint &objectLayer();
    RequestTracker *tracker();
    int openRequests() const;

    Client *q;
    QString addressText;
    Address address;
    ClientConfig config;
    bool misconfigured = false; // a bad address or configuration: nothing will connect
    bool startPending = false;  // constructed; the first attempt starts from the event loop
    bool destroying = false;    // ~Client: new requests fail at once
    bool disconnecting = false; // disconnectFromServer(): deliver, then close

    Link link; // the server: session, ledger, writability, requests
    Stream *connecting = nullptr; // a connection attempt under way
    QTimer retryTimer;
    QTimer attemptTimer; // a connection attempt the system leaves hanging (a SYN never answered)
    QTimer disconnectTimer;
    QElapsedTimer trying; // since connecting or reconnecting began
    int attempts = 0;

    // A new server process: what the ledger last spoke with, and what its
    // arrival decided, told once connected (no user code inside a handshake).
    quint64 lastServerInstance = 0;
    int droppedOnRestart = 0;     // unconfirmed messages given up on a new server (at most once)
    bool restartedServer = false; // its requests fail once connected
    int refusedWhileConnecting = 0; // queued messages the new server cannot take
    Result refusal;
    int droppedTotal = 0;

    // ping(): tokens on their way and when each left; a few at most.
    std::map<quint64, QElapsedTimer> pings;
    quint64 lastPing = 0;
    CrossThreadWrites *foreignWrites; // calls from other threads on their way here
    RequestTracker *requests = nullptr; // made by the first request()
    WaitInbox inbox;
    std::unique_ptr<objects::ObjectEndpoint> objects; // made by the first use of remote objects
    EncryptionInfo encryption;
    PeerInfo server;
};

} // namespace ipc
