// Session: the engine for one connected peer, whatever the wire and the
// device. It reads what arrives over a Stream, feeds it to the protocol
// adapter, flushes what the adapter writes, delivers messages, runs the
// handshake and heartbeat timers, and finishes exactly once with a cause.
// Large plain message bodies are read straight into the buffer the
// application receives. Server and Client each own their sessions.
#pragma once

#include "delivery.h"
#include "protocol/adapter.h"
#include "result.h"
#include "transport/body_buffers.h"
#include "wire/frame_reader.h"

#include <ipc/types.h>

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace ipc {

class SessionObserver;
class Stream;

class Session : public QObject
{
    Q_OBJECT

public:
    using Role = protocol::Role;

    struct Options
    {
        protocol::Settings adapter; // the wire and this side's part in it
        std::chrono::milliseconds handshakeTimeout { 10000 };
        std::chrono::milliseconds heartbeatInterval { 0 };
        // A message begun must be complete within this; 0 = no limit.
        std::chrono::milliseconds messageTimeout { 60000 };
        SessionObserver *observer = nullptr;
        quint64 id = 0; // the connection's id, as the observer and the Server know it
        quint64 endpoint = 0; // the owning Server's or Client's endpoint id, for the observer
        // Once established: the owner's ledger for this peer (which the
        // owner may pick by delivery().instance), or null. The session
        // resumes its window, sends its queue and acknowledges through it.
        std::function<DeliveryLedger *(Session *)> attachLedger;
    };

    // Takes ownership of a connected stream.
    Session(Stream *stream, const Options &options, QObject *parent = nullptr);
    ~Session() override;

    void start();
    bool isEstablished() const { return m_state == State::Established; }
    quint64 id() const { return m_options.id; }

    // Known once established.
    const PeerInfo &peer() const { return m_peer; }
    const EncryptionInfo &encryption() const { return m_encryption; }
    const protocol::PeerDelivery &delivery() const { return m_adapter->delivery(); }
    DeliveryLedger *ledger() const { return m_ledger; }
    PeerCredentials peerCredentials() const;
    // Bytes written to the device that it has not yet handed to the system.
    qint64 bytesToWrite() const;
    bool flush();

    // Sends one message. Fails (returning the reason) when not established,
    // when data exceeds the peer's maximum message size, or when the wire
    // cannot carry it.
    // On an acknowledging connection the message then waits in the
    // ledger's window until the peer confirms it.
    // A tag makes the message a request or a reply (refused, with
    // ProtocolMismatch, when the peer cannot take a request).
    Result send(
        qint32 type, const QByteArray &data, const wire::Correlation &tag = wire::Correlation());
    // Whether a message written now goes out at once rather than waiting in
    // the ledger's queue: the window has room, and on a connection without
    // acknowledgements the socket holds less than a window's bytes (a peer
    // that stops reading must not make this side's memory grow).
    bool hasRoom() const
    {
        return m_state == State::Established && m_ledger->windowHasRoom()
            && (m_acknowledging || socketHasRoom());
    }
    // Sends the ledger's queued messages while there is room.
    // Messages the peer cannot take are moved to the ledger's undelivered
    // list and reported by messagesRefused().
    void sendQueued();
    // Asks the peer's library for an answer (pongReceived(token), token > 0).
    // False when not established or the wire has no ping.
    bool ping(quint64 token);
    // Acknowledges what was delivered, says goodbye and closes; emits
    // finished(NoError).
    void close();

    // Called for every user message. A plain callback, not a signal: the
    // owner re-emits it as its own signal, and one emission per message is
    // enough.
    std::function<void(qint32 type, const QByteArray &data)> onMessage;
    // Called instead of onMessage for a request or a reply.
    std::function<void(qint32 type, const QByteArray &data, const wire::Correlation &tag)>
        onCorrelated;

Q_SIGNALS:
    void established();
    // The peer confirmed `count` more messages.
    void acknowledged(int count);
    void messagesRefused(int count, ipc::Error error, const QString &reason);
    // Without acknowledgements: the socket drained while messages were
    // queued, and some were sent.
    void queueDrained();
    void pongReceived(quint64 token);
    // The system took bytes this side had queued.
    void bytesWritten();
    // Once, when the connection has ended; error is NoError for a goodbye.
    void finished(ipc::Error error, const QString &reason);

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    enum class State { Handshake, Established, Finished };

    void onReadyRead();
    bool processInput();
    bool handle(protocol::Event &event, const QPointer<Session> &alive);
    bool pickAdapter(const QPointer<Session> &alive);
    bool takeOverLargeBody();
    bool readLargeBody();
    void deliver(qint32 type, const QByteArray &data)
    {
        if (Q_UNLIKELY(m_adapter->detachedSize() >= 0)) {
            deliverDetached(type);
            return;
        }
        const wire::Correlation tag = m_adapter->takeCorrelation();
        if (m_acknowledging && !m_ledger->admit(data.size()))
            return; // a duplicate of a message delivered before a reconnect
        if (m_options.observer)
            notifyReceived(type, data, tag);
        if (Q_UNLIKELY(tag.isSet())) {
            if (onCorrelated)
                onCorrelated(type, data, tag);
        } else if (onMessage) {
            onMessage(type, data);
        }
    }
    void notifyReceived(qint32 type, const QByteArray &data, const wire::Correlation &tag);
    void deliverDetached(qint32 type);
    protocol::Adapter::WriteResult writeShared(qint32 type, const QByteArray &data);
    void startDelivery();
    bool onAcknowledged(quint64 delivered, const QPointer<Session> &alive);
    void acknowledgeSoon();
    void sendAck();
    void sealSoon();
    void sealMore();
    void finishSealing();
    bool sealPiece();
    void moveQueueOn();
    Result sendUnrecorded(qint32 type, const QByteArray &data, const wire::Correlation &tag);
    Result writeOne(qint32 type, const QByteArray &data, const wire::Correlation &tag);
    Result writeTag(const wire::Correlation &tag);
    bool socketHasRoom() const;
    bool flushOutput();
    void readAvailable(const QPointer<Session> &alive);
    void prepareAhead();
    Result refuse(qsizetype size);
    Result writeFailed(const protocol::Adapter::WriteResult &result);
    void onStreamClosed(Error error, const QString &reason);
    void onHeartbeat();
    void watchPartialMessage();
    void onMessageTimeout();
    void finish(Error error, const QString &reason);
    // Tells the observer the ledger's state (reporting sessions only, from a timer).
    void reportDelivery();

    Stream *m_stream;
    Options m_options;
    State m_state = State::Handshake;
    protocol::AdapterMaker m_maker; // the adapter, and what it needs made ahead
    std::unique_ptr<protocol::Adapter> m_adapter; // null until the wire is known
    wire::FrameReader m_reader;
    protocol::Output m_output;
    // A large plain message read straight from the device into the buffer
    // the application receives, instead of through m_reader and a copy.
    struct LargeBody
    {
        QByteArray data;
        qsizetype filled = 0;
        qint32 type = 0;
    };
    std::optional<LargeBody> m_largeBody;
    transport::BodyBuffers m_bodies {
        this
    }; // large bodies' buffers, reused while the application lets go
    PeerInfo m_peer;
    EncryptionInfo m_encryption;
    QTimer m_handshakeTimer;
    QTimer m_heartbeatTimer;
    bool m_heardSinceTick = false;
    // A message begun and not finished: since when. One timer start per
    // message that spans reads, none per complete one.
    bool m_partial = false;
    quint64 m_framesIn = 0; // frames read in full (messages, acks, pings)
    quint64 m_framesAtPartial = 0; // m_framesIn when the partial one began
    QElapsedTimer m_partialSince;
    QTimer m_messageTimer;
    bool m_handshakeWritten = false; // flushed when the current read ends
    bool m_pingOutstanding = false;
    bool m_sealScheduled = false; // a sealed batch is on its way (sealSoon())
    void *m_observed = nullptr; // the observer's context for this connection
    int m_deliveryTimer = 0; // reporting sessions only: QObject::startTimer(), no QTimer to make
    qsizetype m_resentAtStart = -1; // the window re-sent when established, until the peer's Resume
    bool m_resumed = false; // this connection picked up where an earlier one left off

    DeliveryLedger *m_ledger = nullptr;
    bool m_acknowledging = false; // both sides acknowledge: the ledger's window is in use
    QTimer m_ackTimer;
    quint64 m_ackEveryMessages = 64;
    qint64 m_ackEveryBytes = 1 << 20;
};

} // namespace ipc
