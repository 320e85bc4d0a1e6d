#include "rawpeer.h"

#include <cstring>
#include <sys/socket.h>

#include "wire/control.h"
#include "wire/frame_writer.h"

#include <QtEndian>
#include <QtTest>

RawPeer::RawPeer(const QString &socketPath)
{
    socket.connectToServer(socketPath);
}

bool RawPeer::waitForBytes(qint64 count)
{
    return QTest::qWaitFor([&] { return socket.bytesAvailable() >= count || !isConnected(); }, 10000)
        && socket.bytesAvailable() >= count;
}

bool RawPeer::waitForDisconnected()
{
    return QTest::qWaitFor([&] { return !isConnected(); }, 10000);
}

QByteArray RawPeer::read(qint64 count)
{
    return waitForBytes(count) ? socket.read(count) : QByteArray();
}

QByteArray RawPeer::readFrame()
{
    const QByteArray header = read(4);
    if (header.size() != 4)
        return QByteArray();
    return read(qFromBigEndian<quint32>(header.constData()));
}

void RawPeer::send(const QByteArray &bytes)
{
    socket.write(bytes);
    socket.flush();
}

bool RawPeer::readPreambleAndAccept()
{
    preamble = read(2);
    if (preamble.size() != 2) {
        errorString = QStringLiteral("no preamble");
        return false;
    }
    send(QByteArray(1, '\0'));
    return true;
}

bool RawPeer::handshake(bool encrypted, const QByteArray &psk, const QByteArray &prologueOverride)
{
    sealsFrames = encrypted;
    if (!readPreambleAndAccept())
        return false;
    if (encrypted) {
        const QByteArray prologue = prologueOverride.isEmpty() ? preamble + QByteArray(1, '\0')
                                                               : prologueOverride;
        ipc::crypto::HandshakeState state(ipc::crypto::HandshakeState::Initiator, prologue, psk);
        QByteArray message;
        if (!state.writeMessage({}, &message))
            return false;
        QByteArray frame;
        ipc::wire::appendFrame(frame, message);
        send(frame);
        QByteArray payload;
        if (!state.readMessage(readFrame(), &payload)) {
            errorString = state.errorString();
            return false;
        }
        auto [send, receive] = state.split();
        sendCipher = std::move(send);
        receiveCipher = std::move(receive);
        if (withholdHello)
            return true;
        this->send(sealedFrame(0, hello.isEmpty() ? helloData() : hello));
        qint32 type = -1;
        QByteArray data;
        if (!openFrame(readFrame(), &type, &data) || type != 0) {
            errorString = QStringLiteral("no server hello");
            return false;
        }
        return true;
    }
    if (withholdHello)
        return true;
    send(plainFrame(0, hello.isEmpty() ? helloData() : hello));
    const QByteArray serverHello = readFrame();
    return serverHello.size() > 5 && serverHello.at(4) == char(ipc::wire::ControlKind::Hello);
}

QByteArray RawPeer::helloData(quint32 maxMessageSize)
{
    ipc::wire::Hello hello;
    hello.maxMessageSize = maxMessageSize;
    hello.pid = quint64(QCoreApplication::applicationPid());
    hello.processName = QStringLiteral("rawpeer");
    hello.libraryVersion = QStringLiteral("test");
    return ipc::wire::encodeHello(hello);
}

QByteArray RawPeer::sharedMemoryHelloData(quint32 maxMessageSize)
{
    ipc::wire::Hello hello;
    hello.maxMessageSize = maxMessageSize;
    hello.pid = quint64(QCoreApplication::applicationPid());
    hello.processName = QStringLiteral("rawpeer");
    hello.libraryVersion = QStringLiteral("test");
    hello.features = ipc::wire::SharedMemory;
    return ipc::wire::encodeHello(hello);
}

bool RawPeer::sendWithDescriptor(const QByteArray &bytes, int descriptor)
{
    if (!socket.waitForBytesWritten(10000) && socket.bytesToWrite() > 0)
        return false;
    iovec part{const_cast<char *>(bytes.constData()), size_t(bytes.size())};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &descriptor, sizeof(int));
    return ::sendmsg(int(socket.socketDescriptor()), &message, MSG_NOSIGNAL) == bytes.size();
}

QByteArray RawPeer::acknowledgingHelloData()
{
    ipc::wire::Hello hello;
    hello.maxMessageSize = 1 << 20;
    hello.pid = quint64(QCoreApplication::applicationPid());
    hello.processName = QStringLiteral("rawpeer");
    hello.libraryVersion = QStringLiteral("test");
    hello.features = ipc::wire::Acknowledgements;
    hello.instance = 77;
    hello.windowMessages = 64;
    hello.windowBytes = 1 << 20;
    return ipc::wire::encodeHello(hello);
}

QByteArray RawPeer::frame(qint32 type, const QByteArray &data)
{
    return sealsFrames ? sealedFrame(type, data) : plainFrame(type, data);
}

QByteArray RawPeer::plainFrame(qint32 type, const QByteArray &data)
{
    QByteArray out;
    ipc::wire::appendMessageFrame(out, type, data.constData(), data.size());
    return out;
}

QByteArray RawPeer::sealedFrame(qint32 type, const QByteArray &data)
{
    QByteArray out;
    const qsizetype body = ipc::wire::appendMessageFrame(out, type, data.constData(), data.size(),
                                                         ipc::crypto::TagSize);
    sendCipher.encryptWithAd(QByteArray(), out.data() + body, 4 + data.size(), out.data() + body);
    return out;
}

bool RawPeer::openFrame(QByteArray body, qint32 *type, QByteArray *data)
{
    if (body.size() < 4 + ipc::crypto::TagSize
        || !receiveCipher.decryptWithAd(QByteArray(), body.data(), body.size(), body.data()))
        return false;
    *type = qint32(qFromBigEndian<quint32>(body.constData()));
    *data = body.mid(4, body.size() - 4 - ipc::crypto::TagSize);
    return true;
}
