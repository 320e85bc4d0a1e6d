// Link: what one side keeps for one peer, whichever connection carries it
// (libzmq's session_base_t is the model): the current Session, the
// DeliveryLedger, writability and back-pressure, and the request/reply
// plumbing. A Client holds one Link for its server, across reconnects; a
// Server holds one per client connection. Neither repeats what is here.
//
// The link reports to its owner through Handlers. A handler may run user
// code (a signal of the owner) that deletes the owner and with it the link:
// the link never touches itself after a handler without checking that it
// still exists.
#pragma once

#include "delivery.h"
#include "result.h"
#include "session.h"

#include <ipc/message.h>
#include <ipc/reply.h>

#include <functional>
#include <memory>

namespace ipc {

class RequestTracker;
class SessionObserver;
class Stream;

class Link
{
public:
    struct Handlers
    {
        std::function<void(const Message &)> messageReceived; // plain messages and requests
        // Remote-object traffic (an operation as the type; requestId set for a call).
        std::function<void(const Message &)> objectMessage;
        std::function<void()> established;
        std::function<void(Error, const QString &)>
            finished; // the session ended; the link has let go of it
        std::function<void(int count)> delivered; // the peer confirmed count more
        // Queued messages the peer cannot take (now in the ledger's undelivered list).
        std::function<void(int count, Error, const QString &)> refused;
        std::function<void(bool writable)> writableChanged;
        std::function<void(quint64 token)> pong;
    };

    // What the session of either side is told, from its owner's configuration.
    struct Settings
    {
        protocol::Role role = protocol::Role::Client;
        quint64 id = 0; // the connection's id (a Server's client id)
        quint64 instance = 0; // this side's stream (a client) or process instance (a server)
        SessionObserver *observer = nullptr;
        quint64 endpoint = 0;
    };
    template<typename Config>
    static Session::Options sessionOptions(
        const Config &config, bool encryption, const Settings &settings);

    Link(QObject *context, quint64 peerId, Handlers handlers);
    ~Link(); // the session, if any, is deleted without a word to the owner
    Q_DISABLE_COPY(Link)

    // The peer's id in messages: a client id on a server, 0 on a client.
    quint64 peerId() const { return m_peerId; }

    // The ledger the link sends through: owned, or one kept elsewhere for a
    // peer that may resume (the Server's). Set before the session is
    // established.
    void ownLedger(std::unique_ptr<DeliveryLedger> ledger);
    void useLedger(DeliveryLedger *ledger);
    DeliveryLedger *ledger() const { return m_ledger; }
    bool ownsLedger() const { return m_ownedLedger != nullptr; }

    // Requests this side sent to the peer, owned by the Client or Server.
    void setRequests(RequestTracker *requests) { m_requests = requests; }

    // Starts a session over a connected stream (taking it over).
    void open(Stream *stream, const Session::Options &options);
    Session *session() const { return m_session; }
    bool isEstablished() const { return m_session && m_session->isEstablished(); }
    // Closes the session without telling the owner; deleted now or, when a
    // slot of that very session may be running, from the event loop.
    void discard(bool now);

    // Whether a message written now leaves at once: nothing queued before
    // it, and the window (or socket) has room.
    bool canSendNow() const
    {
        return isEstablished() && m_ledger->queue().empty() && m_session->hasRoom();
    }
    Result sendNow(qint32 type, const QByteArray &data, const wire::Correlation &tag)
    {
        return m_session->send(type, data, tag);
    }
    // Queues a message behind the others (refused once the queue is full,
    // reported once per stretch) and sends what the window takes.
    Result enqueue(qint32 type, const QByteArray &data, const wire::Correlation &tag);

    // Back-pressure: false while the queue is full and writes are refused;
    // true again once it has drained to half.
    bool isWritable() const { return m_writable; }
    void updateWritable();
    // A request that timed out leaves the queue if it is still there.
    void withdrawQueuedRequest(quint64 id);
    // The requests among what the ledger gave up end with `error`. False
    // when a continuation deleted the owner.
    bool failRequestsGivenUp(Error error, const QString &why);

private:
    bool canAccept() const { return !m_ledger->queueIsFull() || canSendNow(); }
    void setWritable(bool writable);
    void onCorrelated(qint32 type, const QByteArray &data, const wire::Correlation &tag);
    void onFinished(Error error, const QString &reason);

    QObject *const m_context; // receives the session's signals: they end with the owner
    // Expires with the link: a handler may have deleted it.
    std::shared_ptr<bool> m_lifetime = std::make_shared<bool>(true);
    const quint64 m_peerId;
    Handlers m_handlers;
    Session *m_session = nullptr;
    DeliveryLedger *m_ledger = nullptr;
    std::unique_ptr<DeliveryLedger> m_ownedLedger;
    RequestTracker *m_requests = nullptr;
    bool m_writable = true;
    bool m_fullReported = false; // this stretch of a full queue has been reported
};

// The answer path of reply() and replyError(), the same on either side: the
// tagged message that goes back to the peer that asked.
struct Answer
{
    qint32 type;
    QByteArray data;
    wire::Correlation tag;

    static Answer reply(const Message &request, qint32 type, const QByteArray &data)
    {
        return Answer { type, data,
            wire::Correlation { wire::Correlation::Reply, 0, request.requestId } };
    }
    // An error reply repeats the request's type; its data is the text.
    static Answer error(const Message &request, qint32 code, const QString &text)
    {
        return Answer { qMax(request.type, 1), text.toUtf8(),
            wire::Correlation { wire::Correlation::ErrorReply, code, request.requestId } };
    }
    static Result check(const Message &request)
    {
        if (request.isRequest())
            return {};
        return Result::failure(Error::InvalidMessageType,
            QStringLiteral("reply refused: the message of type %1 is not a request")
                .arg(request.type));
    }
};

template<typename Config>
Session::Options Link::sessionOptions(
    const Config &config, bool encryption, const Settings &settings)
{
    Session::Options options;
    options.adapter.role = settings.role;
    options.adapter.protocol = config.protocol;
    options.adapter.maxMessageSize = config.effectiveMaxMessageSize();
    options.adapter.encryption = encryption;
    options.adapter.preSharedKey = config.preSharedKey;
    options.adapter.acknowledgements = true;
    options.adapter.instance = settings.instance;
    options.adapter.windowMessages = quint32(config.sendWindow.messages);
    options.adapter.windowBytes = quint32(qMin<qint64>(config.sendWindow.bytes, 0xffffffffLL));
    options.handshakeTimeout = config.handshakeTimeout;
    options.heartbeatInterval = config.heartbeatInterval;
    options.messageTimeout = config.messageReadTimeout;
    options.observer = settings.observer;
    options.endpoint = settings.endpoint;
    options.id = settings.id;
    return options;
}

// The ledger's limits from either side's configuration.
template<typename Config>
DeliveryLedger::Limits ledgerLimits(const Config &config)
{
    return DeliveryLedger::Limits { config.sendWindow.messages, config.sendWindow.bytes,
        config.writeQueueLimit, config.writeQueueBytes };
}

} // namespace ipc
