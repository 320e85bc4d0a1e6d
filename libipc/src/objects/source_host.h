// SourceHost: the objects one Client or Server exposes. It answers
// acquires with the object's interface and property values, forwards each
// signal to the peers that acquired the object (with the values of the
// properties it notifies), and runs the calls and property writes peers
// send. One per side, made on first use.
#pragma once

#include "object_channel.h"
#include "object_interface.h"

#include <QCborArray>
#include <QPointer>

#include <map>
#include <memory>

namespace ipc::objects {

class SignalRelay;

class SourceHost
{
public:
    // Handles count up from a random start (or `firstHandle`, for tests), so
    // a call meant for an earlier process's object matches nothing here.
    explicit SourceHost(ObjectChannel *channel, quint64 firstHandle = 0);
    ~SourceHost();
    Q_DISABLE_COPY(SourceHost)

    Result expose(QObject *object, const QString &name);
    // Tells the replicas `reason`; false when nothing is exposed under `name`.
    bool withdraw(const QString &name, const QString &reason);
    QStringList names() const;

    // Acquire, Release, Invoke, SetProperty and List from a peer.
    void onMessage(const Message &message);
    // A peer's write queue has room again: what it missed is told now.
    void peerWritable(quint64 peer);
    // A peer that will not come back (a Server's client given up).
    void peerGone(quint64 peer);
    void peerRenamed(quint64 from, quint64 to);

    // SignalRelay: `object` emitted its interface signal `signal`.
    void relay(quint64 handle, int signal, void **argv);

private:
    struct Exposed
    {
        QString name;
        QPointer<QObject> object;
        Interface interface;
        QCborMap interfaceCbor; // told on every acquire: made once
        quint64 handle = 0;
        std::map<quint64, int> subscribers; // peer -> how many of its replicas
        std::map<quint64, quint64> missed; // peer -> emissions it could not take
        std::unique_ptr<SignalRelay> relay;
        QMetaObject::Connection destroyed;
    };

    Exposed *byHandle(quint64 handle) const;
    QCborArray propertyValues(const Exposed &exposed) const;
    void onAcquire(const Message &message);
    void onRelease(const Message &message);
    void onInvoke(const Message &message);
    void onSetProperty(const Message &message);
    void onList(const Message &message);
    void refuse(const Message &message, Error error, const QString &text);
    void withdrawExposed(
        std::map<QString, std::unique_ptr<Exposed>>::iterator it, const QString &reason);
    // Sends `data` to a subscriber; one that could not take earlier
    // emissions gets a Missed notice first. False when it cannot take this one.
    bool deliverEmission(Exposed &exposed, quint64 peer, const QByteArray &data);
    // Missed: how many emissions `peer` could not take, and every current value.
    bool sendMissed(const Exposed &exposed, quint64 peer, quint64 count);

    ObjectChannel *const m_channel;
    std::map<QString, std::unique_ptr<Exposed>> m_exposed;
    quint64 m_nextHandle;
};

} // namespace ipc::objects
