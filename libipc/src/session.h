// Session: one connected peer, whatever the transport. Runs preamble ->
// Noise handshake (when encrypted) -> hello exchange -> message frames, and
// reports messages, its end and the cause of that end. Server and Client
// each own their sessions.
#pragma once

#include "crypto/noise.h"
#include "wire/frame_reader.h"

#include <ipc/types.h>

#include <QObject>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace ipc {

class Stream;

class Session : public QObject
{
    Q_OBJECT

public:
    enum class Role { Client, Server };

    struct Options
    {
        Role role = Role::Client;
        quint32 maxMessageSize = 0;  // the largest message data this side accepts
        bool encryption = true;      // server: offer Noise; client: require it
        QByteArray preSharedKey;     // 32 bytes or empty
        std::chrono::milliseconds handshakeTimeout{10000};
        std::chrono::milliseconds heartbeatInterval{0};
        bool rejectAsFull = false;   // server: announce "full" and close
    };

    // Takes ownership of a connected stream.
    Session(Stream *stream, const Options &options, QObject *parent = nullptr);
    ~Session() override;

    void start();
    bool isEstablished() const { return m_state == State::Established; }

    const PeerInfo &peer() const { return m_peer; }
    const EncryptionInfo &encryption() const { return m_encryption; }

    // Sends one message. Fails (returning the reason) when not established or
    // when data exceeds the peer's maximum message size.
    bool send(qint32 type, const QByteArray &data, Error *error, QString *reason);
    // Says goodbye and closes; emits finished(NoError).
    void close();

    // Called for every user message. A plain callback, not a signal: the
    // owner re-emits it as its own signal, and one emission per message is
    // enough.
    std::function<void(qint32 type, const QByteArray &data)> onMessage;

Q_SIGNALS:
    void established();
    // Once, when the connection has ended; error is NoError for a goodbye.
    void finished(ipc::Error error, const QString &reason);

private:
    enum class State { AwaitPreamble, AwaitReply, Handshake, AwaitHello, Established, Finished };

    void onReadyRead();
    bool takeOverLargeBody();
    bool readLargeBody();
    void onStreamClosed(Error error, const QString &reason);
    bool processInput();
    bool handlePreamble(const char *preamble);
    bool handleReply(quint8 reply);
    bool handleHandshakeMessage(char *body, qsizetype size);
    bool handleRecord(char *body, qsizetype size);
    bool handleControl(const char *data, qsizetype size);
    bool handleHello(const char *data, qsizetype size);
    void beginHandshake(const QByteArray &prologue);
    void finishHandshake();
    void sendHello();
    bool sendRecord(qint32 type, const QByteArray &data);
    void sendHandshakeMessage(const QByteArray &message);
    bool nonceExhausted();
    void onHeartbeat();
    void finish(Error error, const QString &reason);

    Stream *m_stream;
    Options m_options;
    State m_state;
    wire::FrameReader m_reader;
    QByteArray m_out; // reused for every small outgoing frame
    QByteArray m_spareFrame; // the last large sealed frame, reused once written
    // A large plain message read straight from the socket into the buffer the
    // application receives, instead of through m_reader and a copy.
    struct LargeBody
    {
        QByteArray data;
        qsizetype filled = 0;
        qint32 type = 0;
    };
    std::optional<LargeBody> m_largeBody;
    QByteArray m_preamble; // server preamble + client reply: the Noise prologue
    std::unique_ptr<crypto::HandshakeState> m_handshake;
    crypto::CipherState m_sendCipher;
    crypto::CipherState m_receiveCipher;
    bool m_encrypted = false;
    PeerInfo m_peer;
    EncryptionInfo m_encryption;
    QTimer m_handshakeTimer;
    QTimer m_heartbeatTimer;
    bool m_heardSinceTick = false;
    bool m_pingOutstanding = false;
};

} // namespace ipc
