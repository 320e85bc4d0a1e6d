// A hand-driven client for attack tests: speaks the native protocol byte by
// byte over a real QLocalSocket so a test can alter, replay or cut anything.
#pragma once

#include "crypto/noise.h"

#include <QByteArray>
#include <QLocalSocket>

class RawPeer
{
public:
    explicit RawPeer(const QString &socketPath);

    QLocalSocket socket;
    QByteArray preamble;          // what the server sent first
    ipc::crypto::CipherState sendCipher;
    ipc::crypto::CipherState receiveCipher;

    bool isConnected() const { return socket.state() == QLocalSocket::ConnectedState; }
    bool waitForBytes(qint64 count);
    bool waitForDisconnected();
    QByteArray read(qint64 count);  // empty when the bytes never came
    QByteArray readFrame();         // one frame's body, or empty
    void send(const QByteArray &bytes);

    // Reads the preamble and answers ok. prologueOverride: the prologue the
    // peer pretends to have seen (a man in the middle's edit).
    bool readPreambleAndAccept();
    // The whole client side; returns false with errorString on failure.
    bool handshake(bool encrypted, const QByteArray &psk = {},
                   const QByteArray &prologueOverride = {});
    QString errorString;
    // What handshake() sends as its hello; helloData() when empty.
    QByteArray hello;
    bool withholdHello = false; // handshake() stops before sending the hello
    bool sealsFrames = false;   // set by handshake()

    static QByteArray helloData(quint32 maxMessageSize = 1 << 20);
    // A hello that announces acknowledgements (a window of 64 messages).
    static QByteArray acknowledgingHelloData();
    // A hello that takes message data in memory files (feature bit 2).
    static QByteArray sharedMemoryHelloData(quint32 maxMessageSize = 64 << 20);
    // Sends bytes with a file descriptor attached (SCM_RIGHTS), after what
    // was queued before; the descriptor stays the caller's.
    bool sendWithDescriptor(const QByteArray &bytes, int descriptor);
    // A frame for the connection as handshake() left it: sealed or plain.
    QByteArray frame(qint32 type, const QByteArray &data);
    static QByteArray plainFrame(qint32 type, const QByteArray &data);
    QByteArray sealedFrame(qint32 type, const QByteArray &data);
    bool openFrame(QByteArray body, qint32 *type, QByteArray *data);
};
