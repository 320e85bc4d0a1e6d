// The Peer handles serve's and eat's callbacks receive, one per side; the
// wire is the Server's or Client's.
#pragma once

#include <ipc/message.h>
#include <ipc/minipc.h>

#include <QPointer>

#include <deque>

namespace ipc {

class Client;
class Server;

// Messages kept for a later receive(), up to a byte limit: a peer that sends
// more than it is asked for must not grow our memory.
class Inbox
{
public:
    explicit Inbox(qsizetype maxBytes)
        : m_maxBytes(maxBytes)
    {
    }
    bool push(const QByteArray &message); // false: over the limit, not kept
    bool isEmpty() const { return m_messages.empty(); }
    QByteArray take();
    qsizetype maxBytes() const { return m_maxBytes; }

private:
    std::deque<QByteArray> m_messages;
    qsizetype m_bytes = 0;
    qsizetype m_maxBytes;
};

// One of a native server's clients.
class ServerSidePeer : public Peer
{
public:
    // collect: keep the client's messages for receive() (a callback may ask).
    ServerSidePeer(Server *server, quint64 clientId, bool collect, qsizetype maxBuffered);
    ~ServerSidePeer() override;
    bool send(const QByteArray &message) override;
    QByteArray receive(std::chrono::milliseconds timeout) override;
    QString errorString() const override { return m_error; }

private:
    Server *m_server;
    quint64 m_clientId;
    QMetaObject::Connection m_connection;
    QMetaObject::Connection m_errors;
    Inbox m_inbox; // this client's messages, kept from its arrival on
    QString m_error;
};

// A native client's connection to its server. Create it before the client
// connects: it keeps every message from then on for receive().
class ClientSidePeer : public Peer
{
public:
    ClientSidePeer(Client *client, qsizetype maxBuffered);
    ~ClientSidePeer() override;
    bool send(const QByteArray &message) override;
    QByteArray receive(std::chrono::milliseconds timeout) override;
    QString errorString() const override { return m_error; }

private:
    Client *m_client;
    QMetaObject::Connection m_connection;
    Inbox m_inbox;
    bool m_overflowed = false;
    QString m_error;
};

// Type used for the messages serve and eat exchange on the native wire.
constexpr qint32 MinipcMessageType = 1;

} // namespace ipc
