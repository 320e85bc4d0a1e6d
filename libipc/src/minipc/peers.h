// The Peer handles serve's and eat's callbacks receive, one per wire and side.
#pragma once

#include "minipc/line_reader.h"

#include <ipc/message.h>
#include <ipc/minipc.h>

#include <QPointer>

#include <deque>

class QTcpSocket;

namespace ipc {

class Client;
class Server;

// A plain TCP socket speaking MinIPC's line wire.
class LinePeer : public Peer
{
public:
    LinePeer(QTcpSocket *socket, qsizetype maxLength);
    bool send(const QByteArray &message) override;
    QByteArray receive(std::chrono::milliseconds timeout) override;
    QString errorString() const override { return m_error; }

private:
    QPointer<QTcpSocket> m_socket;
    LineReader m_reader;
    QString m_error;
};

// One of a native server's clients.
class ServerSidePeer : public Peer
{
public:
    ServerSidePeer(Server *server, quint64 clientId);
    ~ServerSidePeer() override;
    bool send(const QByteArray &message) override;
    QByteArray receive(std::chrono::milliseconds timeout) override;
    QString errorString() const override { return m_error; }

private:
    Server *m_server;
    quint64 m_clientId;
    QMetaObject::Connection m_connection;
    std::deque<QByteArray> m_inbox; // this client's messages, kept from the start
    QString m_error;
};

// A native client's connection to its server. Create it before the client
// connects: it keeps every message from then on for receive().
class ClientSidePeer : public Peer
{
public:
    explicit ClientSidePeer(Client *client);
    ~ClientSidePeer() override;
    bool send(const QByteArray &message) override;
    QByteArray receive(std::chrono::milliseconds timeout) override;
    QString errorString() const override { return m_error; }

private:
    Client *m_client;
    QMetaObject::Connection m_connection;
    std::deque<QByteArray> m_inbox;
    QString m_error;
};

// Type used for the messages serve and eat exchange on the native wire.
constexpr qint32 MinipcMessageType = 1;

} // namespace ipc
