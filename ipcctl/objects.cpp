// ipcctl's remote-object commands: objects, call, get, set, and watch with
// an OBJECT[.SIGNAL]. Each acquires a dynamic replica and uses members by
// name, as a script would.
#include "commands.h"
#include "common.h"

#include <ipc/replica.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMetaEnum>

namespace ipcctl {

namespace {

struct Target
{
    QString object;
    QString member; // empty: the whole object
};

// "thermostat.setTarget" or "thermostat"; an object name may hold dots
// itself, so the member is what follows the last one (before any "(").
Target targetOf(const QString &text)
{
    const qsizetype paren = text.indexOf(QLatin1Char('('));
    const qsizetype dot
        = text.lastIndexOf(QLatin1Char('.'), paren < 0 ? -1 : paren - text.size() - 1);
    if (dot <= 0)
        return { text, QString() };
    return { text.left(dot), text.mid(dot + 1) };
}

// A command-line value: JSON (21.5, true, "text", [1,2], {"a":1}), or a
// bare word taken as text.
QVariant valueOf(const QString &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson("[" + text.toUtf8() + "]", &error);
    if (error.error == QJsonParseError::NoError && document.array().size() == 1)
        return document.array().at(0).toVariant();
    return text;
}

QString jsonText(const QVariant &value)
{
    const QJsonValue json = QJsonValue::fromVariant(value);
    if (json.isString())
        return json.toString();
    return QString::fromUtf8(
        QJsonDocument(QJsonArray { json }).toJson(QJsonDocument::Compact).chopped(1).mid(1));
}

// Waits until `replica` is valid; false after printing why.
bool waitUntilValid(
    ipc::DynamicReplica &replica, std::chrono::milliseconds timeout, int *exitCode)
{
    if (replica.waitForValid(timeout))
        return true;
    const ipc::Error error = replica.error();
    *exitCode = fail(error == ipc::Error::NoError ? TimedOut : exitCodeFor(error),
        error == ipc::Error::NoError
            ? QStringLiteral("\"%1\" did not answer in time").arg(replica.sourceName())
            : replica.errorString());
    return false;
}

// Connects and acquires `name`; null after printing why.
std::unique_ptr<ipc::DynamicReplica> acquire(
    ipc::Client &client, const QString &name, std::chrono::milliseconds timeout, int *exitCode)
{
    std::unique_ptr<ipc::DynamicReplica> replica(client.acquireDynamic(name));
    if (!waitUntilValid(*replica, timeout, exitCode))
        return nullptr;
    return replica;
}

// Waits for a call's future; its value, or an exit code after printing why.
template<typename T>
int await(
    QFuture<T> future, QVariant *value, const QCommandLineParser &parser, const Common &common)
{
    while (!future.isFinished())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    try {
        if constexpr (std::is_void_v<T>) {
            future.waitForFinished();
        } else {
            *value = QVariant::fromValue(future.result());
        }
    } catch (const ipc::RemoteCallError &error) {
        if (parser.isSet(common.json))
            printJson(errorJson(errorName(error.error()), error.errorString()));
        return fail(error.error() == ipc::Error::Timeout ? TimedOut : exitCodeFor(error.error()),
            error.errorString());
    }
    return Ok;
}

// Ends the connection gracefully: the replica's release is confirmed, and
// the client has nothing unconfirmed to warn about.
void disconnect(ipc::Client &client)
{
    client.disconnectFromServer();
    client.waitForDisconnected(std::chrono::seconds(5));
}

struct Setup
{
    QCommandLineParser parser;
    Common common;
    std::unique_ptr<ipc::Client> client;
    // Runs after the command's replica is gone (it is declared later).
    ~Setup()
    {
        if (client)
            disconnect(*client);
    }
};

// Parses, checks the positional count and connects; -1 to go on.
int setUp(Setup &setup, const QString &command, const QString &description,
    const QStringList &positional, int needed, int most, const QStringList &arguments)
{
    setup.parser.setApplicationDescription(description);
    setup.parser.addHelpOption();
    for (const QString &name : positional)
        setup.parser.addPositionalArgument(name, QString());
    setup.common.addTo(setup.parser);
    if (const int done = parseCommand(setup.parser, command, arguments); done >= 0)
        return done;
    const qsizetype given = setup.parser.positionalArguments().size();
    if (given < needed || (most >= 0 && given > most))
        return fail(Usage,
            QStringLiteral("%1 needs %2 (see ipcctl %1 --help)")
                .arg(command, positional.join(QLatin1Char(' '))));
    int failure = Ok;
    setup.client = connectClient(
        setup.parser, setup.common, setup.parser.positionalArguments().first(), false, &failure);
    return setup.client ? -1 : failure;
}

// The object the second argument names, acquired; null after printing why
// (a missing member when `memberForm` asks for one, or the acquire failing).
std::unique_ptr<ipc::DynamicReplica> acquireTarget(
    Setup &setup, const QString &command, const char *memberForm, Target *target, int *exitCode)
{
    const QString text = setup.parser.positionalArguments().at(1);
    *target = targetOf(text);
    if (memberForm && target->member.isEmpty()) {
        *exitCode = fail(Usage,
            QStringLiteral("%1 needs %2, not \"%3\"")
                .arg(command, QLatin1String(memberForm), text));
        return nullptr;
    }
    return acquire(*setup.client, target->object, timeoutOf(setup.parser, setup.common), exitCode);
}

} // namespace

int objects(const QStringList &arguments)
{
    Setup setup;
    if (const int done = setUp(setup, QStringLiteral("objects"),
            QStringLiteral(
                "Lists the objects a server exposes, with their signals, methods and properties."),
            { QStringLiteral("address") }, 1, 1, arguments);
        done >= 0)
        return done;
    QVariant names;
    if (const int failed
        = await(setup.client->remoteObjectNames(timeoutOf(setup.parser, setup.common)), &names,
            setup.parser, setup.common);
        failed != Ok)
        return failed;
    const bool json = setup.parser.isSet(setup.common.json);
    for (const QString &name : names.toStringList()) {
        int failure = Ok;
        const auto replica
            = acquire(*setup.client, name, timeoutOf(setup.parser, setup.common), &failure);
        if (!replica)
            return failure;
        if (json) {
            printJson({ { QStringLiteral("name"), name },
                { QStringLiteral("class"), replica->sourceClassName() },
                { QStringLiteral("members"), QJsonArray::fromStringList(replica->members()) },
                { QStringLiteral("values"), QJsonObject::fromVariantMap(replica->values()) } });
            continue;
        }
        printLine(QStringLiteral("%1 (%2)").arg(name, replica->sourceClassName()));
        for (const QString &member : replica->members())
            printLine(QStringLiteral("  ") + member);
    }
    return Ok;
}

int call(const QStringList &arguments)
{
    Setup setup;
    if (const int done = setUp(setup, QStringLiteral("call"),
            QStringLiteral("Calls a method of a server's object and prints the result.\n"
                           "Arguments are JSON values (21.5, true, \"text\", [1,2], {\"a\":1}); "
                           "a bare word is text."),
            { QStringLiteral("address"), QStringLiteral("object.method"),
                QStringLiteral("[argument...]") },
            2, -1, arguments);
        done >= 0)
        return done;
    const QStringList positional = setup.parser.positionalArguments();
    Target target;
    int failure = Ok;
    const auto replica
        = acquireTarget(setup, QStringLiteral("call"), "OBJECT.METHOD", &target, &failure);
    if (!replica)
        return failure;
    QVariantList values;
    for (const QString &text : positional.mid(2))
        values.append(valueOf(text));
    QVariant result;
    if (const int failed
        = await(replica->call(target.member, values, timeoutOf(setup.parser, setup.common)),
            &result, setup.parser, setup.common);
        failed != Ok)
        return failed;
    const QVariant value = result.value<QVariant>();
    if (setup.parser.isSet(setup.common.json))
        printJson({ { QStringLiteral("result"), QJsonValue::fromVariant(value) } });
    else if (value.isValid())
        printLine(jsonText(value));
    return Ok;
}

int get(const QStringList &arguments)
{
    Setup setup;
    if (const int done = setUp(setup, QStringLiteral("get"),
            QStringLiteral("Prints a property of a server's object, or all of them."),
            { QStringLiteral("address"), QStringLiteral("object[.property]") }, 2, 2, arguments);
        done >= 0)
        return done;
    Target target;
    int failure = Ok;
    const auto replica = acquireTarget(setup, QStringLiteral("get"), nullptr, &target, &failure);
    if (!replica)
        return failure;
    QVariantMap values = replica->values();
    if (!target.member.isEmpty()) {
        if (!values.contains(target.member))
            return fail(Refused,
                QStringLiteral("\"%1\" (%2) has no property %3")
                    .arg(target.object, replica->sourceClassName(), target.member));
        values = { { target.member, values.value(target.member) } };
    }
    if (setup.parser.isSet(setup.common.json)) {
        printJson(QJsonObject::fromVariantMap(values));
        return Ok;
    }
    for (auto it = values.cbegin(); it != values.cend(); ++it)
        printLine(target.member.isEmpty()
                ? QStringLiteral("%1 = %2").arg(it.key(), jsonText(it.value()))
                : jsonText(it.value()));
    return Ok;
}

int set(const QStringList &arguments)
{
    Setup setup;
    if (const int done = setUp(setup, QStringLiteral("set"),
            QStringLiteral(
                "Sets a writable property of a server's object (VALUE is JSON, or text)."),
            { QStringLiteral("address"), QStringLiteral("object.property"),
                QStringLiteral("value") },
            3, 3, arguments);
        done >= 0)
        return done;
    const QStringList positional = setup.parser.positionalArguments();
    Target target;
    int failure = Ok;
    const auto replica
        = acquireTarget(setup, QStringLiteral("set"), "OBJECT.PROPERTY", &target, &failure);
    if (!replica)
        return failure;
    QVariant ignored;
    return await(replica->setValue(target.member, valueOf(positional.at(2)),
                     timeoutOf(setup.parser, setup.common)),
        &ignored, setup.parser, setup.common);
}

int watchObject(ipc::Client &client, const QString &what, int limit, bool json,
    std::chrono::milliseconds timeout)
{
    const Target target = targetOf(what);
    // Listening before the replica is valid: a signal the source sends right
    // after its answer to the acquisition is printed, not lost.
    std::unique_ptr<ipc::DynamicReplica> replica(client.acquireDynamic(target.object));
    // A loop of our own: QCoreApplication::exit() while waitForValid() runs
    // would leave every later loop (the disconnect's) unable to wait.
    QEventLoop watching;
    int seen = 0;
    const QString byName
        = target.member.contains(QLatin1Char('(')) ? QString() : target.member + QLatin1Char('(');
    QObject::connect(replica.get(), &ipc::DynamicReplica::signalEmitted, replica.get(),
        [&](const QString &signature, const QVariantList &values) {
            if (!target.member.isEmpty() && signature != target.member
                && !signature.startsWith(byName))
                return;
            if (json) {
                printJson({ { QStringLiteral("time"),
                                QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs) },
                    { QStringLiteral("object"), target.object },
                    { QStringLiteral("signal"), signature },
                    { QStringLiteral("arguments"), QJsonArray::fromVariantList(values) } });
            } else {
                QStringList texts;
                for (const QVariant &value : values)
                    texts.append(jsonText(value));
                printLine(QStringLiteral("%1.%2 %3")
                              .arg(target.object, signature, texts.join(QLatin1Char(' '))));
            }
            if (limit > 0 && ++seen == limit)
                watching.exit(Ok);
        });
    if (int failure = Ok; !waitUntilValid(*replica, timeout, &failure))
        return failure;
    QObject::connect(
        replica.get(), &ipc::Replica::stateChanged, replica.get(), [&](ipc::Replica::State state) {
            if (state == ipc::Replica::State::SourceGone
                || state == ipc::Replica::State::InterfaceMismatch)
                watching.exit(fail(exitCodeFor(replica->error()), replica->errorString()));
            else if (state == ipc::Replica::State::Suspect)
                fail(Ok, QStringLiteral("connection lost; the replica resumes when it is back"));
        });
    QObject::connect(
        replica.get(), &ipc::Replica::resynchronized, replica.get(), [&](quint64 missed) {
            fail(Ok, QStringLiteral("resynchronised (%1 emission(s) missed)").arg(missed));
        });
    fail(Ok, QStringLiteral("watching %1 (%2)").arg(what, replica->sourceClassName()));
    // The count may be reached while waiting for the replica (no loop to end yet).
    const bool done = limit > 0 && seen >= limit;
    const int code = done ? int(Ok) : watching.exec();
    replica.reset();
    disconnect(client);
    return code;
}

} // namespace ipcctl
