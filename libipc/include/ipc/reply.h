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
    /// reply came within the request's own timeout; ConnectionLost when the
    /// peer received the request and went away (or restarted) before
    /// answering; NotConnected when the client gave up connecting, or the
    /// client or server was closed or destroyed; ProtocolMismatch when the
    /// wire cannot carry requests; MessageTooLarge, InvalidMessageType or
    /// WriteQueueFull when the request itself was refused; InvalidConfiguration
    /// when request() was called from another thread.
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
