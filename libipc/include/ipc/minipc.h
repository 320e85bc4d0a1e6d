// MinIPC's calls in C++: serve a message to N clients, eat one message,
// retry a task with growing delays. Blocking calls for a plain main() (they
// run their own event loop) and asynchronous tasks with signals.
//
// Two wires: Protocol::Native (libipc's framed, encrypted protocol; the
// default) and Protocol::Line (MinIPC's plain wire: newline-terminated
// messages, so Qt programs and MinIPC Lua programs can serve to and eat from
// each other).
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

// MinIPC's defaults: 127.0.0.1, port 6969 ("tcp://" alone means this).
constexpr const char *MinipcDefaultAddress = "tcp://127.0.0.1:6969";

struct IPC_EXPORT MinipcOptions
{
    Protocol protocol = Protocol::Native;
    // The whole call: serve waits this long for its clients, eat for its message.
    std::chrono::milliseconds timeout{30000};
    // How long eat keeps trying to reach a server. 0 = one attempt, as MinIPC
    // (wrap eat in retry() to wait for a server that starts later).
    std::chrono::milliseconds connectTimeout{0};
    // Native protocol only: the line wire is plain.
    bool encryption = true;
    QByteArray preSharedKey;
    // Largest message accepted (a line's length in Line mode).
    quint32 maxMessageSize = DefaultMaxMessageSize;
};

// What serve, eat and retry report.
struct IPC_EXPORT MinipcResult
{
    bool ok = false;
    QByteArray value;  // eat: the message (or what the callback returned)
    int clients = 0;   // serve: how many clients were served
    QString error;     // why it failed: "failed to connect: connection refused by ..."
    int attempts = 1;  // retry: how many calls were made

    explicit operator bool() const { return ok; }
};

// One connected peer, handed to serve's and eat's callbacks.
class IPC_EXPORT Peer
{
public:
    virtual ~Peer();
    // Line wire: appends the newline and refuses a message that has one.
    virtual bool send(const QByteArray &message) = 0;
    // Blocks (running the event loop) until a message or the timeout; on
    // failure returns an empty array and sets errorString().
    virtual QByteArray receive(std::chrono::milliseconds timeout = std::chrono::seconds(30)) = 0;
    virtual QString errorString() const = 0;
};

using ServeCallback = std::function<void(const QList<Peer *> &clients, const QByteArray &message)>;
using EatCallback = std::function<QByteArray(Peer &server)>;

// Waits for exactly `broadcast` clients, sends message to each (or lets the
// callback do it), then closes. Blocking; creates a QCoreApplication when the
// program has none.
IPC_EXPORT MinipcResult serve(const QString &address, const QByteArray &message, int broadcast = 1,
                              const ServeCallback &callback = {}, const MinipcOptions &options = {});

// Connects, returns one message (or what the callback returns), closes.
IPC_EXPORT MinipcResult eat(const QString &address, const EatCallback &callback = {},
                            const MinipcOptions &options = {});

class ServeTaskPrivate;
class EatTaskPrivate;

// serve() as an asynchronous task: start() it and wait for finished(). Like
// any QObject it lives in the thread that made it (moveToThread() works).
class IPC_EXPORT ServeTask : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(ServeTask)
public:
    ServeTask(const QString &address, const QByteArray &message, int broadcast = 1,
              const MinipcOptions &options = {}, QObject *parent = nullptr);
    ~ServeTask() override;
    void setCallback(const ServeCallback &callback);
    // Binds and starts accepting; false (and finished()) when binding fails.
    bool start();
    QString listeningAddress() const; // with the real port when it was 0
    MinipcResult result() const;
    bool isFinished() const;
Q_SIGNALS:
    void clientArrived(int count);
    void finished(bool ok);
private:
    std::unique_ptr<ServeTaskPrivate> d;
};

// eat() as an asynchronous task.
class IPC_EXPORT EatTask : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(EatTask)
public:
    explicit EatTask(const QString &address, const MinipcOptions &options = {},
                     QObject *parent = nullptr);
    ~EatTask() override;
    void setCallback(const EatCallback &callback);
    void start();
    MinipcResult result() const;
    bool isFinished() const;
Q_SIGNALS:
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

// MinIPC's retry: calls task up to `retries` times, waiting `delay` after a
// failure and multiplying the delay by 1.5 each time. A failure is a result
// that converts to false (MinipcResult, bool, pointers, optionals) or an
// exception. Returns the first success; after the last failure, a result
// whose error says how many attempts failed and the last cause.
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
