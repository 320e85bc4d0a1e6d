// What the remote-object layer needs from the Client or Server below it:
// send to a peer, call it, answer its calls, tell about one peer's trouble,
// and name an object's members for telemetry.
// Object traffic is tagged (control kind 11), so it rides the same
// acknowledged, resumable, encrypted stream as every message and never
// reaches messageReceived().
#pragma once

#include "../object_names.h"
#include "../result.h"

#include <ipc/message.h>
#include <ipc/reply.h>

#include <QFuture>

#include <chrono>

class QObject;

namespace ipc::objects {

class ObjectChannel
{
public:
    virtual ~ObjectChannel() = default;
    // The Client or Server: the layer's objects live in its thread.
    virtual QObject *context() const = 0;
    // A one-way object message to `peer` (0 on a client: its server).
    virtual Result send(quint64 peer, qint32 op, const QByteArray &data) = 0;
    // An object call; ends exactly once, as request() does.
    virtual QFuture<Reply> call(
        quint64 peer, qint32 op, const QByteArray &data, std::chrono::milliseconds timeout)
        = 0;
    virtual Result answer(const Message &call, const QByteArray &data) = 0;
    virtual Result answerError(const Message &call, Error error, const QString &text) = 0;
    // A peer's object message was refused: told through the owner's error
    // signal for that peer; the connection goes on.
    virtual void report(quint64 peer, Error error, const QString &text) = 0;
    // An object exposed here or acquired from a peer, by name, for the
    // tools; nothing when the owner does not report telemetry.
    virtual void describe(const ObjectNames &names) = 0;
};

} // namespace ipc::objects
