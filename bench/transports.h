// The things being compared, behind one small interface each side: a unix
// socket driven with plain system calls (the machine's limit), raw
// QLocalSocket / QTcpSocket with minimal 4-byte-length framing (the
// baseline), and libipc's Server / Client (native protocol or golang-ipc
// v2, plain or encrypted). Everything is driven by the Qt event loop, as an application
// would be. Some also answer requests (request/reply: libipc's request(),
// a Qt Remote Objects slot with a return value, a Qt D-Bus method call).
#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

struct Impl
{
    enum Kind { Raw, Unix, Libipc, Zmq, Qtro, Dbus };
    QString name;      // "raw-local", "libipc-local-plain", ...
    Kind kind = Raw;
    bool local = true; // local socket or TCP
    bool encrypted = false;
    bool golangV2 = false; // libipc speaking golang-ipc protocol version 2
    bool monitored = false; // libipc reporting telemetry to a collector (ipc-monitor's part)
    bool libipc() const { return kind == Libipc; }
    // Carries messages (every scenario but request/reply); D-Bus only calls methods.
    bool messages() const { return kind != Dbus; }
    // Takes part in the request/reply scenario: libipc's native protocol
    // (golang-ipc v2 has no replies), Qt Remote Objects and Qt D-Bus, over
    // local sockets.
    bool requests() const
    {
        return local && ((kind == Libipc && !golangV2 && !monitored) || kind == Qtro || kind == Dbus);
    }
};

// Client side of one connection.
class BenchClient
{
public:
    virtual ~BenchClient() = default;
    virtual bool connectTo(const QString &address, int timeoutMs) = 0;
    virtual void send(const QByteArray &payload) = 0;
    virtual void flush() = 0;
    // Sends a request whose reply (the same payload, echoed by the server)
    // goes to onReply; a failed request reports an empty payload. False
    // when this implementation has no request/reply.
    virtual bool request(const QByteArray &payload)
    {
        Q_UNUSED(payload)
        return false;
    }
    std::function<void(const QByteArray &payload)> onMessage;
    std::function<void(const QByteArray &payload)> onReply;
};

// Server side: any number of connections. Requests are answered inside the
// implementation, with their own payload.
class BenchServer
{
public:
    virtual ~BenchServer() = default;
    virtual bool listen(const QString &address) = 0;
    virtual QString address() const = 0; // for clients of the same impl
    virtual void send(quint64 connection, const QByteArray &payload) = 0;
    virtual void broadcast(const QByteArray &payload) = 0;
    virtual int connectionCount() const = 0;
    std::function<void(quint64 connection, const QByteArray &payload)> onMessage;
};

std::unique_ptr<BenchClient> makeClient(const Impl &impl);
std::unique_ptr<BenchServer> makeServer(const Impl &impl);
Impl implByName(const QString &name);
QList<Impl> allImpls();
