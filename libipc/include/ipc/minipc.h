/// \file
/// MinIPC's calls in C++: serve a message to N clients, eat one message,
/// retry a task with growing delays. Blocking calls for a plain main() (they
/// run their own event loop) and asynchronous tasks with signals.
///
/// Two wires: Protocol::Native (libipc's framed, encrypted protocol; the
/// default) and Protocol::Line (MinIPC's plain wire: newline-terminated
/// messages, so Qt programs and MinIPC Lua programs can serve to and eat from
/// each other).
#pragma once

#include <ipc/config.h>
#include <ipc/global.h>

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>

namespace ipc {

/// MinIPC's default address: 127.0.0.1, port 6969 ("tcp://" alone means
/// this).
constexpr const char *MinipcDefaultAddress = "tcp://127.0.0.1:6969";

/// How serve() and eat() (and their tasks) connect.
struct IPC_EXPORT MinipcOptions
{
    /// The wire: Protocol::Native (the default) or Protocol::Line, MinIPC's.
    Protocol protocol = Protocol::Native;
    /// The whole call: serve waits this long for its clients, eat for its
    /// message. 30 seconds by default; 0 = no limit.
    std::chrono::milliseconds timeout{30000};
    /// How long eat keeps trying to reach a server. 0 = one attempt, as MinIPC
    /// (wrap eat in retry() to wait for a server that starts later).
    std::chrono::milliseconds connectTimeout{0};
    /// Native protocol only: the line wire is plain. true (the default):
    /// serve encrypts, and eat refuses a server that does not.
    bool encryption = true;
    /// 32 bytes, or empty (the default): as ServerConfig::preSharedKey.
    QByteArray preSharedKey;
    /// Largest message accepted, in bytes (a line's length in Line mode);
    /// 3 MiB by default.
    quint32 maxMessageSize = DefaultMaxMessageSize;
};

/// What serve, eat and retry report; converts to bool as ok does.
struct IPC_EXPORT MinipcResult
{
    bool ok = false;  ///< Whether the call succeeded.
    QByteArray value; ///< eat: the message (or what the callback returned).
    int clients = 0;  ///< serve: how many clients were served.
    QString error;    ///< Why it failed: "failed to connect: connection refused by ..."; empty on success.
    int attempts = 1; ///< retry: how many calls were made.

    /// Returns ok.
    explicit operator bool() const { return ok; }
};

/// One connected peer, handed to serve's and eat's callbacks.
class IPC_EXPORT Peer
{
public:
    /// Destroys the handle; the task owns the connection.
    virtual ~Peer();
    /// Sends \a message to the peer; false on failure, with errorString()
    /// saying why. Line wire: appends the newline and refuses a message that
    /// has one.
    virtual bool send(const QByteArray &message) = 0;
    /// Blocks (running the event loop) until a message or the timeout; on
    /// failure returns an empty array and sets errorString().
    virtual QByteArray receive(std::chrono::milliseconds timeout = std::chrono::seconds(30)) = 0;
    /// Returns why the last send() or receive() failed.
    virtual QString errorString() const = 0;
};

/// serve's callback: called once the clients have all arrived, with them and
/// the message; it sends (or receives) instead of serve.
using ServeCallback = std::function<void(const QList<Peer *> &clients, const QByteArray &message)>;
/// eat's callback: called once connected, with the server; what it returns
/// is the result's value.
using EatCallback = std::function<QByteArray(Peer &server)>;

/// Waits for exactly `broadcast` clients (at least 1), sends message to each
/// (or lets the callback do it), then closes. Blocking; creates a
/// QCoreApplication when the program has none.
IPC_EXPORT MinipcResult serve(const QString &address, const QByteArray &message, int broadcast = 1,
                              const ServeCallback &callback = {}, const MinipcOptions &options = {});

/// Connects, returns one message (or what the callback returns), closes.
/// Blocking; creates a QCoreApplication when the program has none.
IPC_EXPORT MinipcResult eat(const QString &address, const EatCallback &callback = {},
                            const MinipcOptions &options = {});

class ServeTaskPrivate;
class EatTaskPrivate;

/// serve() as an asynchronous task: start() it and wait for finished(). Like
/// any QObject it lives in the thread that made it (moveToThread() works).
class IPC_EXPORT ServeTask : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ServeTask)
public:
    /// Prepares to serve \a message to \a broadcast clients at \a address, as
    /// serve() does; nothing happens before start().
    ServeTask(const QString &address, const QByteArray &message, int broadcast = 1,
              const MinipcOptions &options = {}, QObject *parent = nullptr);
    /// Destroys the task, closing its server.
    ~ServeTask() override;
    /// Sets the callback that serves the clients instead of the task; call
    /// it before start().
    void setCallback(const ServeCallback &callback);
    /// Binds and starts accepting; false (and finished()) when binding fails.
    bool start();
    /// Returns the address bound, with the real port when it was 0; empty
    /// before start().
    QString listeningAddress() const;
    /// Returns the outcome, complete once finished.
    MinipcResult result() const;
    /// Returns whether the task has finished.
    bool isFinished() const;
Q_SIGNALS:
    /// Emitted as each client arrives, with how many have arrived so far.
    void clientArrived(int count);
    /// Emitted once, when the task ends; result() has the outcome.
    void finished(bool ok);
private:
    std::unique_ptr<ServeTaskPrivate> d;
};

/// eat() as an asynchronous task: start() it and wait for finished().
class IPC_EXPORT EatTask : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(EatTask)
public:
    /// Prepares to eat one message from the server at \a address, as eat()
    /// does; nothing happens before start().
    explicit EatTask(const QString &address, const MinipcOptions &options = {},
                     QObject *parent = nullptr);
    /// Destroys the task, closing its connection.
    ~EatTask() override;
    /// Sets the callback that talks to the server instead of the task; call
    /// it before start().
    void setCallback(const EatCallback &callback);
    /// Starts connecting; finished() tells the outcome (at once for a bad
    /// address).
    void start();
    /// Returns the outcome, complete once finished.
    MinipcResult result() const;
    /// Returns whether the task has finished.
    bool isFinished() const;
Q_SIGNALS:
    /// Emitted once, when the task ends; result() has the outcome.
    void finished(bool ok);
private:
    std::unique_ptr<EatTaskPrivate> d;
};

namespace detail {
// Waits without blocking the event loop (creates a QCoreApplication if needed).
IPC_EXPORT void pause(std::chrono::milliseconds duration);

inline bool succeeded(const MinipcResult &result) { return result.ok; }
inline QString failureOf(const MinipcResult &result) { return result.error; }
template <typename T>
bool succeeded(const T &value)
{
    if constexpr (std::is_constructible_v<bool, T>)
        return bool(value);
    else
        return true;
}
template <typename T>
QString failureOf(const T &)
{
    return QStringLiteral("the task reported failure");
}
} // namespace detail

/// MinIPC's retry: calls task up to `retries` times (at least once), waiting
/// `delay` after a failure and multiplying the delay by 1.5 each time. A
/// failure is a result that converts to false (MinipcResult, bool, pointers,
/// optionals) or an exception. Returns the first success; after the last
/// failure, a result whose error says how many attempts failed and the last
/// cause.
template <typename Task>
MinipcResult retry(Task &&task, int retries = 4,
                   std::chrono::milliseconds delay = std::chrono::seconds(1))
{
    using Value = std::invoke_result_t<Task &>;
    MinipcResult outcome;
    QString lastError;
    for (int attempt = 1; attempt <= qMax(retries, 1); ++attempt) {
        try {
            Value value = task();
            if (detail::succeeded(value)) {
                if constexpr (std::is_same_v<Value, MinipcResult>)
                    outcome = value;
                outcome.ok = true;
                outcome.attempts = attempt;
                outcome.error.clear();
                return outcome;
            }
            lastError = detail::failureOf(value);
        } catch (const std::exception &e) {
            lastError = QString::fromUtf8(e.what());
        }
        if (attempt < retries) {
            detail::pause(delay);
            delay = std::chrono::milliseconds(qint64(delay.count() * 1.5));
        }
    }
    outcome.ok = false;
    outcome.attempts = qMax(retries, 1);
    outcome.error = QStringLiteral("task failed after %1 attempts; last error: %2")
                        .arg(outcome.attempts).arg(lastError);
    return outcome;
}

} // namespace ipc

Q_DECLARE_METATYPE(ipc::MinipcResult)
