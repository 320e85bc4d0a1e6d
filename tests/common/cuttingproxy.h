// A TCP proxy that can cut every connection through it, as a failing
// network would: both sides see their connection drop.
#pragma once

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

#include <utility>
#include <vector>

class CuttingProxy : public QObject
{
public:
    explicit CuttingProxy(quint16 upstreamPort)
        : m_upstreamPort(upstreamPort)
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] { accept(); });
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }
    int connections() const { return m_accepted; }
    void cut()
    {
        for (auto &pair : m_pairs) {
            pair.first->abort();
            pair.second->abort();
        }
        m_pairs.clear();
    }

private:
    void accept()
    {
        while (QTcpSocket *downstream = m_server.nextPendingConnection()) {
            ++m_accepted;
            auto *upstream = new QTcpSocket(downstream);
            connect(downstream, &QTcpSocket::readyRead, upstream, [=] { upstream->write(downstream->readAll()); });
            connect(upstream, &QTcpSocket::readyRead, downstream, [=] { downstream->write(upstream->readAll()); });
            connect(upstream, &QTcpSocket::disconnected, downstream, &QTcpSocket::abort);
            connect(downstream, &QTcpSocket::disconnected, upstream, &QTcpSocket::abort);
            upstream->connectToHost(QHostAddress::LocalHost, m_upstreamPort);
            m_pairs.emplace_back(downstream, upstream);
        }
    }

    QTcpServer m_server;
    quint16 m_upstreamPort;
    int m_accepted = 0;
    std::vector<std::pair<QTcpSocket *, QTcpSocket *>> m_pairs;
};

