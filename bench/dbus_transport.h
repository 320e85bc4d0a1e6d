// Qt D-Bus peer to peer, what a Linux desktop application might pick for
// request/reply: a QDBusServer in the peer process (no bus daemon), a
// registered object whose method echo() returns its argument, and
// QDBusConnection::connectToPeer() on the client side. Method calls only:
// it takes part in the request/reply scenario alone.
#pragma once

#include "transports.h"

#include <QByteArray>
#include <QObject>

class DbusEcho : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.libipc.Bench")
public Q_SLOTS:
    QByteArray echo(const QByteArray &payload) { return payload; }
};

std::unique_ptr<BenchClient> makeDbusClient();
std::unique_ptr<BenchServer> makeDbusServer();
