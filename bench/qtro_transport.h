// Qt Remote Objects, the Qt-native alternative: a source object whose slot
// ping() emits pong(), reached through a dynamic replica (no repc needed).
// Its slot echo() returns its argument: request/reply, which the replica
// offers as a QRemoteObjectPendingCall.
#pragma once

#include "transports.h"

#include <QByteArray>
#include <QObject>

class EchoSource : public QObject
{
    Q_OBJECT
public:
    std::function<void(const QByteArray &)> onPing;
public Q_SLOTS:
    void ping(const QByteArray &payload)
    {
        if (onPing)
            onPing(payload);
    }
    QByteArray echo(const QByteArray &payload) { return payload; }
Q_SIGNALS:
    void pong(const QByteArray &payload);
};

std::unique_ptr<BenchClient> makeQtroClient();
std::unique_ptr<BenchServer> makeQtroServer(bool local);
