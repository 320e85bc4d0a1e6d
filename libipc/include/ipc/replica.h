/// \file
/// ipc::Replica and ipc::DynamicReplica: a QObject exposed by another
/// process (Server::exposeObject(), Client::exposeObject()), seen here.
#pragma once

#include <ipc/reply.h>
#include <ipc/types.h>

#include <QException>
#include <QFuture>
#include <QObject>
#include <QVariant>
#include <QVariantList>

#include <chrono>
#include <functional>
#include <memory>

namespace ipc {

class ReplicaPrivate;
namespace objects {
class ReplicaNode;
}

/// Why a call on a replica failed: the future of Replica::invoke(),
/// DynamicReplica::call() and the setters holds this exception (catch it
/// with QFuture::onFailed()). error() is ObjectNotFound, InvalidArgument or
/// RemoteError for what the source refused, Timeout, ConnectionLost or
/// NotConnected for what the connection did.
class IPC_EXPORT RemoteCallError : public QException
{
public:
    /// Creates the exception for \a error, described by \a text.
    RemoteCallError(Error error, const QString &text);
    /// What went wrong.
    Error error() const { return m_error; }
    /// Why, in words, naming the object and the member.
    QString errorString() const { return m_text; }
    /// errorString() in UTF-8.
    const char *what() const noexcept override { return m_utf8.constData(); }
    /// \cond INTERNAL
    void raise() const override { throw *this; }
    RemoteCallError *clone() const override { return new RemoteCallError(*this); }
    /// \endcond

private:
    Error m_error;
    QString m_text;
    QByteArray m_utf8;
};

/// A replica of a source object in another process: its signals fire when
/// the source emits (in order, exactly once across a resumed connection),
/// its property values mirror the source's, and its methods run on the
/// source and answer through a QFuture. A replica never runs the source's
/// code. Made by Client::acquire() or Server::acquire() (typed, from an
/// interface both sides compile: see docs/guides/remote-objects.md) or by
/// acquireDynamic(); the caller owns it. Deleting it releases the source.
class IPC_EXPORT Replica : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY(Replica)
    /// The replica's state; stateChanged() tells each change.
    Q_PROPERTY(ipc::Replica::State state READ state NOTIFY stateChanged)

public:
    /// Where a replica is in its life.
    enum class State {
        /// Acquiring: waiting for the connection or the source's answer.
        Waiting,
        /// The interface matched and the property values are the source's.
        Valid,
        /// The connection is down; the values are the last known. A resumed
        /// connection makes it Valid again with nothing missed; a restarted
        /// source makes it Valid after resynchronized().
        Suspect,
        /// The source's interface lacks or changed a member this replica
        /// uses (errorString() names it); nothing more happens.
        InterfaceMismatch,
        /// No object is exposed under the name, or it was withdrawn or
        /// deleted, or its peer is gone (errorString() says which). A Client's
        /// replica acquires again when its server restarts.
        SourceGone,
    };
    Q_ENUM(State)

    ~Replica() override;

    /// Returns the name the source is exposed under.
    QString sourceName() const;
    /// Returns the source's class name, once Valid.
    QString sourceClassName() const;
    /// Returns the replica's state.
    State state() const;
    /// Returns whether the state is Valid.
    bool isValid() const { return state() == State::Valid; }
    /// Returns the last error: InterfaceMismatch, ObjectNotFound,
    /// ProtocolMismatch (the peer has no remote objects), InvalidArgument
    /// (a value this side cannot read).
    Error error() const;
    /// Returns why error() happened, in words; empty when there is none.
    QString errorString() const;
    /// For scripts and tests (a local event loop): waits until Valid; false
    /// on timeout or when the state becomes InterfaceMismatch or SourceGone.
    bool waitForValid(std::chrono::milliseconds timeout = std::chrono::seconds(30));

Q_SIGNALS:
    /// Emitted when state() changes, with the new \a state.
    void stateChanged(ipc::Replica::State state);
    /// Emitted after the property values were read again from the source:
    /// after its process restarted, or after this replica could not take
    /// \a missedEmissions of its signals (its queue was full: the source
    /// gives back-pressure, not unbounded memory). Property change signals
    /// have fired for the values that differ.
    void resynchronized(quint64 missedEmissions);
    /// Emitted when something about this replica failed; errorString() says what.
    void errorOccurred(ipc::Error error);

protected:
    /// For typed replicas (see docs/guides/remote-objects.md).
    explicit Replica(QObject *parent = nullptr);
    /// The last known value of the source's property \a name (a property
    /// this class declares), converted to its declared type.
    QVariant propertyValue(const char *name) const;
    /// Calls the source's method \a signature ("setTarget(double)") with
    /// \a arguments; the future holds the result as \a resultType (invalid
    /// for void) or a RemoteCallError.
    QFuture<QVariant> invokeMethod(const QByteArray &signature, const QVariantList &arguments,
        QMetaType resultType, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Asks the source to set its property \a name to \a value.
    QFuture<void> writeProperty(const QByteArray &name, const QVariant &value,
        std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// invokeMethod() with typed arguments and result.
    template<typename Result, typename... Args>
    QFuture<Result> invoke(const char *signature, const Args &...arguments)
    {
        PendingCall call;
        QFuture<Reply> answer = startCall(signature,
            QVariantList { QVariant::fromValue(arguments)... }, resultTypeOf<Result>(),
            std::chrono::seconds(30), &call);
        // One step from the answer to the typed result.
        if constexpr (std::is_void_v<Result>)
            return answer.then([call = std::move(call)](const Reply &reply) { call.result(reply); });
        else
            return answer.then([call = std::move(call)](const Reply &reply) {
                return call.result(reply).template value<Result>();
            });
    }

    /// \cond INTERNAL
    // A call on its way: what turns its answer into the result, or throws
    // RemoteCallError. (It holds no future: the continuation holds it.)
    struct IPC_EXPORT PendingCall
    {
        QString object;
        QByteArray signature;
        QMetaType resultType;
        bool dynamic = false;
        Error refusedWith = Error::NoError;
        QString refusal; // the call never left: why
        QVariant result(const Reply &reply) const;
    };
    QFuture<Reply> startCall(const QByteArray &signature, const QVariantList &arguments,
        QMetaType resultType, std::chrono::milliseconds timeout, PendingCall *call);
    /// \endcond

    /// \cond INTERNAL
    // Dynamic replicas take every member and tell them by name instead.
    virtual bool isDynamic() const { return false; }
    virtual void dynamicSignal(const QString &name, const QVariantList &arguments);
    virtual void dynamicPropertyChanged(const QString &name, const QVariant &value);
    /// \endcond

private:
    template<typename T>
    static QMetaType resultTypeOf()
    {
        if constexpr (std::is_void_v<T>)
            return QMetaType();
        else
            return QMetaType::fromType<T>();
    }
    friend class ReplicaPrivate;
    friend class DynamicReplica;
    friend class objects::ReplicaNode;
    std::unique_ptr<ReplicaPrivate> d;
};

/// A replica acquired by name alone, for tools and scripts: members by
/// name, values as QVariant.
class IPC_EXPORT DynamicReplica : public Replica
{
    Q_OBJECT
    Q_DISABLE_COPY(DynamicReplica)

public:
    /// \cond INTERNAL
    explicit DynamicReplica(QObject *parent = nullptr);
    /// \endcond
    ~DynamicReplica() override;

    /// Returns the source's signals, methods and properties, once Valid:
    /// "signal void temperatureChanged(double temperature)", "method QString
    /// describe(int detail)", "property double target (writable)".
    QStringList members() const;
    /// Returns the last known value of the source's property \a name; an
    /// invalid QVariant for a name it does not have.
    QVariant value(const QString &name) const;
    /// Returns every property's last known value, by name.
    QVariantMap values() const;
    /// Calls the source's method \a method: a name ("setTarget"; the
    /// overload taking as many arguments) or a signature
    /// ("setTarget(double)"). Each argument is converted to the parameter's
    /// type on the source, which refuses one that does not fit.
    QFuture<QVariant> call(const QString &method, const QVariantList &arguments = {},
        std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Asks the source to set property \a name to \a value.
    QFuture<void> setValue(const QString &name, const QVariant &value,
        std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Runs \a slot with the arguments of each emission of the source's
    /// signal \a signal (a name or a signature), while \a context lives.
    QMetaObject::Connection onSignal(
        const QString &signal, QObject *context, std::function<void(const QVariantList &)> slot);

Q_SIGNALS:
    /// Emitted for each emission of one of the source's signals, with its
    /// \a signature ("temperatureChanged(double)") and \a arguments.
    void signalEmitted(const QString &signature, const QVariantList &arguments);
    /// Emitted when the value of the source's property \a name changed.
    void valueChanged(const QString &name, const QVariant &value);

protected:
    /// \cond INTERNAL
    bool isDynamic() const override { return true; }
    void dynamicSignal(const QString &name, const QVariantList &arguments) override;
    void dynamicPropertyChanged(const QString &name, const QVariant &value) override;
    /// \endcond
};

} // namespace ipc
