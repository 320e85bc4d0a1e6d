// ServerPrivate: a Server is its listener plus one Link per client
// connection, and the ledgers of clients that may still resume. Everything
// about sending, writability and requests is the Link's.
#pragma once

#include <ipc/server.h>

#include "address.h"
#include "cross_thread.h"
#include "endpoint_state.h"
#include "wait_inbox.h"
#include "link.h"
#include "objects/object_endpoint.h"

#include <QDeadlineTimer>
#include <QTimer>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <vector>

namespace ipc {

class Listener;

class ServerPrivate : public EndpointState
{
public:
    struct Connection
    {
        std::unique_ptr<Link> link;
        ClientInfo info;
        quint64 stream = 0; // a client that may resume: its key in `resumable`
    };
    // What a client that may resume left behind, kept across its connections.
    struct Resumable
    {
        std::unique_ptr<DeliveryLedger> ledger;
        quint64 clientId = 0; // its current connection, or the last one
        std::vector<quint64> formerIds; // its earlier connections: replies to their requests still reach it
        quint64 waitOrder = 0; // while no connection holds it: its key in `waitingToResume`
        QDeadlineTimer resumeDeadline; // meanwhile: when it is given up
        std::unique_ptr<QObject> exitWatch; // meanwhile: its process's end, where the kernel tells
    };
    // Clients whose connection broke wait at most this many at once for a
    // resume; beyond, the longest waiting is given up.
    static constexpr std::size_t MaxWaitingToResume = 4096;
    static constexpr int ForeignWriteLimit = 65536;

    ServerPrivate(Server *q, const QString &addressText, const ServerConfig &config);

    // The one place the status (and so the state) changes; the signals go
    // out last. False when a slot deleted the object.
    bool setStatus(Status status);
    static Server::State stateOf(Status status);
    bool fail(Error error, const QString &reason);
    // A failure that concerns one client only: its signal, not the server's error.
    bool failClient(quint64 id, Error error, const QString &reason);
    // A refused write to one client, told once (see Result::alreadyReported).
    bool report(quint64 id, const Result &result);
    // The error is in place before the status changes, so a slot reacting
    // to statusChanged(Error) reads the right cause.
    bool failListen(Error error, const QString &reason);

    // The established link to client `id`, or null.
    Link *established(quint64 id) const;

    void accept(Stream *stream);
    Link::Handlers handlers(quint64 id);
    DeliveryLedger *attachLedger(quint64 id, Session *session);
    void onEstablished(quint64 id);
    void onRefused(quint64 id, int count, Error error, const QString &reason);
    void onFinished(quint64 id, Error error, const QString &reason);
    void closeAll(bool notify);

    // Resumption: a broken connection's ledger waits for its client.
    void waitForResume(quint64 stream, qint64 peerPid);
    void giveUpResumable(quint64 stream);
    void stopWaiting(Resumable &entry);
    void onResumeDeadline();
    void armResumeTimer();
    // A client that resumed has a new id; replies addressed to an earlier one
    // still reach it: the resumable entry it belongs to, or null.
    Resumable *resumableOf(quint64 id);
    void giveUp(quint64 clientId, DeliveryLedger &ledger);
    void handBack(quint64 clientId, DeliveryLedger &ledger);
    int unconfirmedTotal() const;

    Result writeTo(quint64 id, qint32 type, const QByteArray &data,
                   const wire::Correlation &tag = wire::Correlation());
    bool answer(const Message &request, const Answer &answer);
    // A request, or (kind Object) a remote-object call.
    void startRequest(quint64 clientId, qint32 type, const QByteArray &data, std::chrono::milliseconds timeout,
                      QPromise<Reply> promise, wire::Correlation::Kind kind = wire::Correlation::Request);
    // The remote-object layer, made on first use.
    objects::ObjectEndpoint &objectLayer();
    template <typename Call>
    bool postFromOtherThread(Call call)
    {
        return foreignWrites->post(std::move(call), [this] {
            fail(Error::WriteQueueFull, QStringLiteral("write refused: %1 writes from other threads already wait")
                                            .arg(foreignWrites->limit()));
        });
    }

    Server *q;
    QString addressText;
    Address address;
    ServerConfig config;
    std::unique_ptr<Listener> listener;
    bool misconfigured = false; // the constructor found an error that listen() cannot fix
    bool destroying = false;    // ~Server: new requests fail at once
    int accepting = 0;          // inside accept(), where slots may close or delete the server
    CrossThreadWrites *foreignWrites; // calls from other threads on their way here
    RequestTracker *requests;         // request()s to clients, waiting for replies
    std::map<quint64, Connection> connections; // ordered: clients() lists by id
    // Clients that may resume and have no connection, by when they began to
    // wait: all wait resumeTimeout, so the first is the first to expire, and
    // one timer aimed at it serves them all (a timer each made a mass
    // disconnect quadratic inside Qt's timer list).
    std::map<quint64, quint64> waitingToResume; // wait order -> stream
    quint64 nextWaitOrder = 1;
    QTimer resumeTimer;
    const quint64 instance; // told to clients, so they can tell a restart from a dropped connection
    std::map<quint64, Resumable> resumable; // by the client's stream id
    std::deque<Message> undelivered; // reported by clientMessagesDropped, until taken
    int refusedPeers = 0;            // sameUserOnly refusals
    std::atomic<int> connectedCount{0}; // established clients, for broadcast() from other threads
    WaitInbox inbox;
    std::unique_ptr<objects::ObjectEndpoint> objects; // made by the first use of remote objects
};

} // namespace ipc
