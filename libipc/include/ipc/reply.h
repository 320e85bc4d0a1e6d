/// \file
/// What a request came to: its reply, or why there is none.
#pragma once

#include <ipc/message.h>
#include <ipc/types.h>

#include <QMetaType>
#include <QString>

namespace ipc {

/// The outcome of Client::request(), Server::request() or Client::call():
/// each request ends exactly once, with a reply, an error reply, a timeout,
/// or the connection giving up.
struct IPC_EXPORT Reply
{
    /// The reply: its type and data (and, on the server, the client that
    /// sent it). With RemoteError its data is the peer's error text.
    Message message;
    /// NoError for a reply; RemoteError for replyError(); Timeout when no
    /// reply came in time; ConnectionLost, NotConnected or Timeout when the
    /// connection gave up or was closed; ProtocolMismatch when the wire
    /// cannot carry requests; MessageTooLarge or InvalidMessageType when the
    /// request itself was refused.
    Error error = Error::NoError;
    /// With RemoteError: the code the peer passed to replyError().
    qint32 errorCode = 0;
    /// Why there is no reply (with RemoteError, the peer's text).
    QString errorString;

    /// Returns whether the peer replied with reply() (not replyError()).
    bool isOk() const { return error == Error::NoError; }
};

} // namespace ipc

Q_DECLARE_METATYPE(ipc::Reply)
