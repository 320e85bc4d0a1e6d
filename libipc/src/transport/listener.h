// Accepts connections on a local or TCP address and hands them out as Streams.
#pragma once

#include "address.h"

#include <ipc/types.h>

#include <QObject>

#include <memory>

namespace ipc {

class Stream;

class Listener : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        bool worldAccess = false; // local: every user may connect
        bool authenticated = false; // a pre-shared key guards the door
    };

    static std::unique_ptr<Listener> create(const Address &address);

    virtual bool listen(const Address &address, const Options &options) = 0;
    virtual void close() = 0;
    virtual QString listeningAddress() const = 0;

    Error error() const { return m_error; }
    QString errorString() const { return m_errorString; }

Q_SIGNALS:
    void newStream(ipc::Stream *stream);
    // While listening: something the server should report (no descriptor
    // left for new connections, the socket file replaced); it goes on.
    void trouble(ipc::Error error, const QString &reason);

protected:
    using QObject::QObject;
    bool fail(Error error, const QString &reason);
    // The system's largest listen backlog (Qt's default of 50 refuses a burst
    // of connects that the server would then serve fine).
    static int maximumBacklog();

private:
    Error m_error = Error::NoError;
    QString m_errorString;
};

} // namespace ipc
