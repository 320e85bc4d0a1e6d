#include "link.h"

#include "logging.h"
#include "requests.h"
#include "transport/stream.h"

namespace ipc {

Link::Link(QObject *context, quint64 peerId, Handlers handlers)
    : m_context(context)
    , m_peerId(peerId)
    , m_handlers(std::move(handlers))
{
}

Link::~Link()
{
    discard(true);
}

void Link::ownLedger(std::unique_ptr<DeliveryLedger> ledger)
{
    m_ownedLedger = std::move(ledger);
    m_ledger = m_ownedLedger.get();
    m_ledger->totals().writable = m_writable;
}

void Link::useLedger(DeliveryLedger *ledger)
{
    m_ownedLedger.reset();
    m_ledger = ledger;
    if (m_ledger)
        m_ledger->totals().writable = m_writable;
}

void Link::open(Stream *stream, const Session::Options &options)
{
    Q_ASSERT(!m_session);
    m_session = new Session(stream, options, m_context);
    Session *session = m_session;
    QObject::connect(
        session, &Session::established, m_context, [this] { m_handlers.established(); });
    QObject::connect(session, &Session::acknowledged, m_context,
        [this](int count) { m_handlers.delivered(count); });
    QObject::connect(session, &Session::queueDrained, m_context, [this] { updateWritable(); });
    QObject::connect(session, &Session::messagesRefused, m_context,
        [this](int count, Error error, const QString &reason) {
            m_handlers.refused(count, error, reason);
        });
    if (m_handlers.pong)
        QObject::connect(session, &Session::pongReceived, m_context,
            [this](quint64 token) { m_handlers.pong(token); });
    QObject::connect(session, &Session::finished, m_context,
        [this](Error error, const QString &reason) { onFinished(error, reason); });
    session->onMessage = [this](qint32 type, const QByteArray &data) {
        m_handlers.messageReceived(Message { type, data, m_peerId });
    };
    session->onCorrelated = [this](qint32 type, const QByteArray &data,
                                const wire::Correlation &tag) { onCorrelated(type, data, tag); };
    session->start();
}

void Link::discard(bool now)
{
    if (!m_session)
        return;
    Session *session = std::exchange(m_session, nullptr);
    session->disconnect(m_context); // a finished session delivers no more messages
    session->close();
    if (now)
        delete session;
    else
        session->deleteLater();
}

// The finished session goes from the event loop: its own code may still be
// on the stack (a write that broke it).
void Link::onFinished(Error error, const QString &reason)
{
    if (m_session) {
        m_session->disconnect(m_context); // a finished session tells nothing more
        std::exchange(m_session, nullptr)->deleteLater();
    }
    // A copy: the owner may delete the link, and so its handlers, meanwhile.
    const auto finished = m_handlers.finished;
    finished(error, reason);
}

Result Link::enqueue(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (m_ledger->queueIsFull(data.size())) {
        const DeliveryLedger::Limits &limits = m_ledger->limits();
        const bool byCount = int(m_ledger->queue().size()) >= limits.queueLimit;
        const QString what = byCount
            ? QStringLiteral("%1 messages (writeQueueLimit)").arg(limits.queueLimit)
            : QStringLiteral("%1 of its %2 bytes, and this message has %3 (writeQueueBytes)")
                  .arg(m_ledger->queuedBytes())
                  .arg(limits.queueBytes)
                  .arg(data.size());
        Result full = Result::failure(Error::WriteQueueFull,
            isEstablished()
                ? QStringLiteral(
                    "write refused: the send window is full and the write queue holds %1")
                      .arg(what)
                : QStringLiteral("write refused: the write queue for a connection holds %1")
                      .arg(what));
        ++m_ledger->totals().refused;
        const std::weak_ptr<bool> alive = m_lifetime;
        setWritable(false);
        if (alive.expired())
            return full;
        full.alreadyReported = std::exchange(m_fullReported, true);
        return full;
    }
    m_ledger->enqueue(DeliveryLedger::Pending { type, data, tag });
    if (isEstablished() && m_session->hasRoom()) {
        const std::weak_ptr<bool> alive = m_lifetime;
        m_session->sendQueued(); // may end the connection, and its owner the link
        if (alive.expired())
            return {};
    }
    if (!canAccept())
        setWritable(false); // the producer may pause before being refused
    return {};
}

void Link::setWritable(bool writable)
{
    if (m_writable == writable)
        return;
    m_writable = writable;
    m_fullReported = false;
    if (m_ledger) {
        m_ledger->totals().writable = writable;
        m_ledger->totals().backPressure += writable ? 0 : 1;
    }
    m_handlers.writableChanged(writable);
}

// Writable again once the queue has drained to half (or, without a queue,
// once the window has room): fewer flips than at every message.
void Link::updateWritable()
{
    if (!m_writable && m_ledger && m_ledger->queueHasDrained() && canAccept())
        setWritable(true);
}

void Link::withdrawQueuedRequest(quint64 id)
{
    if (m_ledger && m_ledger->withdrawQueuedRequest(id)) // nobody waits for its answer now
        updateWritable();
}

bool Link::failRequestsGivenUp(Error error, const QString &why)
{
    if (!m_requests || !m_ledger)
        return true;
    const std::weak_ptr<bool> alive = m_lifetime;
    for (const quint64 id : m_ledger->requestsGivenUp()) {
        if (!m_requests->fail(id, error, why) || alive.expired())
            return false;
    }
    return true;
}

void Link::onCorrelated(qint32 type, const QByteArray &data, const wire::Correlation &tag)
{
    if (tag.kind == wire::Correlation::Request) {
        m_handlers.messageReceived(Message { type, data, m_peerId, tag.id });
        return;
    }
    if (tag.kind == wire::Correlation::Object) {
        m_handlers.objectMessage(Message { type, data, m_peerId, tag.id });
        return;
    }
    Reply reply;
    reply.message = Message { type, data, m_peerId };
    if (tag.kind == wire::Correlation::ErrorReply) {
        reply.error = Error::RemoteError;
        reply.errorCode = tag.code;
        reply.errorString = QString::fromUtf8(data);
    }
    if (!m_requests || !m_requests->finish(tag.id, m_peerId, std::move(reply)))
        qCInfo(lcWire) << "peer" << m_peerId << "replied to request" << tag.id
                       << "after it had ended (timed out?)";
}

} // namespace ipc
