// Remote objects between a Server and a Client in one process: typed and
// dynamic replicas, properties on acquire and on change, signals with
// typed arguments, calls with results and errors, interface checks, a
// source withdrawn or deleted, and a source on the client side.
#include "cuttingproxy.h"
#include "handwritten_replicas.h"
#include "lamp_replica.h"
#include "lamp_source.h"
#include "testnames.h"
#include "thermostat.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QSignalSpy>
#include <QTimer>
#include <QtTest>

#include <memory>

using namespace std::chrono_literals;
using ipc::Error;
using ipc::Replica;

namespace {

constexpr int Patience = 15000; // ms: generous on a loaded machine

// The future's value once it finished (the event loop runs meanwhile).
template<typename T>
bool finishes(const QFuture<T> &future)
{
    QElapsedTimer clock;
    clock.start();
    while (!future.isFinished() && clock.elapsed() < Patience)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    return future.isFinished();
}

// The RemoteCallError a failed future holds (NoError when it did not fail).
template<typename T>
std::pair<Error, QString> failureOf(QFuture<T> future)
{
    if (!finishes(future))
        return { Error::Timeout, QStringLiteral("the future did not finish") };
    try {
        future.waitForFinished();
        if constexpr (!std::is_void_v<T>)
            future.result();
    } catch (const ipc::RemoteCallError &error) {
        return { error.error(), error.errorString() };
    }
    return { Error::NoError, QString() };
}

struct Pair
{
    explicit Pair(const char *tag)
        : name(uniqueName(tag))
        , server(name)
    {
    }
    bool start()
    {
        if (!server.listen())
            return false;
        client = std::make_unique<ipc::Client>(name);
        return client->waitForConnected(10s);
    }
    QString name;
    ipc::Server server;
    std::unique_ptr<ipc::Client> client;
};

// A source written against the generated base: only the slots are its own.
class LampDevice : public LampSource
{
public:
    using LampSource::LampSource;
    int describeCalls = 0;
    QString describe(int detail) override
    {
        ++describeCalls;
        return QStringLiteral("%1 lamp, detail %2").arg(room()).arg(detail);
    }
    QStringList history() override { return { QStringLiteral("on"), QStringLiteral("off") }; }
};

} // namespace

class TestObjects : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dynamicReplicaMirrorsTheSource()
    {
        Pair pair("dyn");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QCOMPARE(pair.server.exposedObjects(), QStringList { QStringLiteral("thermostat") });
        QVERIFY(pair.start());
        std::unique_ptr<ipc::DynamicReplica> replica(
            pair.client->acquireDynamic(QStringLiteral("thermostat")));
        QVERIFY2(replica->waitForValid(10s), qPrintable(replica->errorString()));
        QCOMPARE(replica->sourceClassName(), QStringLiteral("Thermostat"));
        QCOMPARE(replica->value(QStringLiteral("temperature")).toDouble(), 20.5);
        QCOMPARE(replica->value(QStringLiteral("target")).toDouble(), 21.0);
        QCOMPARE(replica->value(QStringLiteral("mode")).toInt(), int(Thermostat::Mode::Heat));
        QVERIFY(replica->members().contains(
            QStringLiteral("signal void alarm(QString text, int level)")));
        QVERIFY(replica->members().contains(QStringLiteral("method QString describe(int detail)")));
        QVERIFY(replica->members().contains(QStringLiteral("property double target (writable)")));

        // A change: the value first, then the signal with its argument.
        QSignalSpy changed(replica.get(), &ipc::DynamicReplica::valueChanged);
        QSignalSpy emitted(replica.get(), &ipc::DynamicReplica::signalEmitted);
        double seenInSignal = 0;
        replica->onSignal(
            QStringLiteral("temperatureChanged"), this, [&](const QVariantList &arguments) {
                seenInSignal = replica->value(QStringLiteral("temperature")).toDouble();
                QCOMPARE(arguments.value(0).toDouble(), 23.25);
            });
        thermostat.measure(23.25);
        QTRY_COMPARE_WITH_TIMEOUT(emitted.size(), 1, Patience);
        QCOMPARE(emitted.at(0).at(0).toString(), QStringLiteral("temperatureChanged(double)"));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).toString(), QStringLiteral("temperature"));
        QCOMPARE(seenInSignal, 23.25);

        Q_EMIT thermostat.alarm(QStringLiteral("too hot"), 3);
        QTRY_COMPARE_WITH_TIMEOUT(emitted.size(), 2, Patience);
        QCOMPARE(emitted.at(1).at(0).toString(), QStringLiteral("alarm(QString,int)"));
        QCOMPARE(emitted.at(1).at(1).toList(), (QVariantList { QStringLiteral("too hot"), 3 }));

        // Calls by name run on the source; results come back typed.
        QFuture<QVariant> described = replica->call(QStringLiteral("describe"), { 7 });
        QVERIFY(finishes(described));
        QCOMPARE(described.result().toString(), QStringLiteral("thermostat at 23.25, detail 7"));
        QCOMPARE(thermostat.describeCalls, 1);
        QFuture<void> written = replica->setValue(QStringLiteral("target"), 19.5);
        QCOMPARE(failureOf(written).first, Error::NoError);
        QCOMPARE(thermostat.target(), 19.5);
        QTRY_COMPARE_WITH_TIMEOUT(
            replica->value(QStringLiteral("target")).toDouble(), 19.5, Patience);
    }

    void typedReplicaConnectsAndCalls()
    {
        Pair pair("typed");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<ThermostatReplica> replica(
            pair.client->acquire<ThermostatReplica>(QStringLiteral("thermostat")));
        QCOMPARE(replica->state(), Replica::State::Waiting);
        QVERIFY2(replica->waitForValid(10s), qPrintable(replica->errorString()));
        QCOMPARE(replica->temperature(), 20.5);
        QCOMPARE(replica->target(), 21.0);

        QList<double> temperatures;
        connect(replica.get(), &ThermostatReplica::temperatureChanged, this, [&](double t) {
            QCOMPARE(replica->temperature(), t); // the property is current inside its signal
            temperatures.append(t);
        });
        QList<Reading> readings;
        connect(replica.get(), &ThermostatReplica::readingTaken, this,
            [&](const Reading &r) { readings.append(r); });
        thermostat.measure(18);
        thermostat.measure(19);
        Q_EMIT thermostat.readingTaken(Reading { 19, QStringLiteral("cellar"), { 4, 5 } });
        QTRY_COMPARE_WITH_TIMEOUT(readings.size(), 1, Patience);
        QCOMPARE(temperatures, (QList<double> { 18, 19 }));
        QCOMPARE(readings.at(0), (Reading { 19, QStringLiteral("cellar"), { 4, 5 } }));

        QFuture<QString> described = replica->describe(2);
        QVERIFY(finishes(described));
        QCOMPARE(described.result(), QStringLiteral("thermostat at 19, detail 2"));
        QFuture<Reading> reading = replica->lastReading();
        QVERIFY(finishes(reading));
        QCOMPARE(reading.result(), (Reading { 19, QStringLiteral("hall"), { 1, 2, 3 } }));
        QFuture<QList<int>> history = replica->history(3);
        QVERIFY(finishes(history));
        QCOMPARE(history.result(), (QList<int> { 0, 10, 20 }));

        // A slot called on the source changes its property: the replica's
        // NOTIFY signal follows, and the replica ran none of the source's code.
        QSignalSpy targets(replica.get(), &ThermostatReplica::targetChanged);
        QCOMPARE(failureOf(replica->setTarget(25)).first, Error::NoError);
        QTRY_COMPARE_WITH_TIMEOUT(targets.size(), 1, Patience);
        QCOMPARE(replica->target(), 25.0);
        QCOMPARE(failureOf(replica->pushTarget(26)).first, Error::NoError);
        QTRY_COMPARE_WITH_TIMEOUT(replica->target(), 26.0, Patience);
        QCOMPARE(thermostat.describeCalls, 1);
    }

    // One .rep file, two generated classes: the source derives from
    // LampSource, the client acquires a LampReplica.
    void generatedInterfaceFromOneDescription()
    {
        Pair pair("generated");
        LampDevice lamp;
        lamp.setRoom(QStringLiteral("hall"));
        QVERIFY(pair.server.exposeObject(&lamp, QStringLiteral("lamp")));
        QVERIFY(pair.start());
        std::unique_ptr<LampReplica> replica(
            pair.client->acquire<LampReplica>(QStringLiteral("lamp")));
        QVERIFY2(replica->waitForValid(10s), qPrintable(replica->errorString()));
        QCOMPARE(replica->on(), true);
        QCOMPARE(replica->brightness(), 50);
        QCOMPARE(replica->room(), QStringLiteral("hall"));

        QSignalSpy brightness(replica.get(), &LampReplica::brightnessChanged);
        lamp.setBrightness(80);
        QVERIFY(brightness.wait(Patience));
        QCOMPARE(brightness.at(0).at(0).toInt(), 80);
        QCOMPARE(replica->brightness(), 80);

        // The replica's setter asks the source, whose setter changes it.
        QCOMPARE(failureOf(replica->setBrightness(10)).first, Error::NoError);
        QCOMPARE(lamp.brightness(), 10);
        QTRY_COMPARE_WITH_TIMEOUT(replica->brightness(), 10, Patience);

        QSignalSpy burnt(replica.get(), &LampReplica::burntOut);
        Q_EMIT lamp.burntOut(QStringLiteral("filament"), 1200);
        QVERIFY(burnt.wait(Patience));
        QCOMPARE(burnt.at(0).at(0).toString(), QStringLiteral("filament"));
        QCOMPARE(burnt.at(0).at(1).toInt(), 1200);

        QFuture<QString> described = replica->describe(2);
        QVERIFY(finishes(described));
        QCOMPARE(described.result(), QStringLiteral("hall lamp, detail 2"));
        QFuture<QStringList> history = replica->history();
        QVERIFY(finishes(history));
        QCOMPARE(history.result(), (QStringList { QStringLiteral("on"), QStringLiteral("off") }));
        QCOMPARE(lamp.describeCalls, 1);
    }

    void everyTypeRoundTrips()
    {
        Pair pair("types");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<ipc::DynamicReplica> replica(
            pair.client->acquireDynamic(QStringLiteral("thermostat")));
        QVERIFY(replica->waitForValid(10s));
        const QDateTime when
            = QDateTime::fromString(QStringLiteral("2026-12-06T10:00:00Z"), Qt::ISODate);
        const QUuid id = QUuid::createUuid();
        QVariantMap sensor { { QStringLiteral("celsius"), 1.5 },
            { QStringLiteral("sensor"), QStringLiteral("attic") },
            { QStringLiteral("samples"), QVariantList { 7, 8 } } };
        QFuture<QVariant> echoed = replica->call(QStringLiteral("echo"),
            { true, Q_INT64_C(1) << 40, QByteArray("\x00\xff\x10", 3), when,
                QUrl(QStringLiteral("https://example.org/x")), id,
                QStringList { QStringLiteral("a"), QStringLiteral("b") },
                int(Thermostat::Mode::Cool), sensor });
        QVERIFY(finishes(echoed));
        const QVariantMap back = echoed.result().toMap();
        QCOMPARE(back.value(QStringLiteral("flag")).toBool(), true);
        QCOMPARE(back.value(QStringLiteral("big")).toLongLong(), Q_INT64_C(1) << 40);
        QCOMPARE(back.value(QStringLiteral("bytes")).toByteArray(), QByteArray("\x00\xff\x10", 3));
        QCOMPARE(back.value(QStringLiteral("when")).toDateTime(), when);
        QCOMPARE(back.value(QStringLiteral("url")).toUrl(),
            QUrl(QStringLiteral("https://example.org/x")));
        QCOMPARE(back.value(QStringLiteral("id")).toUuid(), id);
        QCOMPARE(back.value(QStringLiteral("words")).toStringList(),
            (QStringList { QStringLiteral("a"), QStringLiteral("b") }));
        QCOMPARE(back.value(QStringLiteral("mode")).toInt(), int(Thermostat::Mode::Cool));
        QCOMPARE(back.value(QStringLiteral("sensor")).toString(), QStringLiteral("attic"));

        // A gadget goes as a map; a dynamic replica in a process that knows
        // the type gets it typed.
        QFuture<QVariant> same = replica->call(QStringLiteral("roundTrip"), { sensor });
        QVERIFY(finishes(same));
        QCOMPARE(same.result().metaType(), QMetaType::fromType<Reading>());
        QCOMPARE(
            same.result().value<Reading>(), (Reading { 1.5, QStringLiteral("attic"), { 7, 8 } }));
    }

    void callErrorsNameTheCause_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QVariantList>("arguments");
        QTest::addColumn<Error>("error");
        QTest::addColumn<QString>("says");
        QTest::newRow("unknown member")
            << "switchOff" << QVariantList {} << Error::ObjectNotFound << "has no method switchOff";
        QTest::newRow("wrong count") << "describe" << QVariantList { 1, 2 } << Error::ObjectNotFound
                                     << "no overload of describe takes 2";
        QTest::newRow("wrong count by signature")
            << "describe(int)" << QVariantList { 1, 2 } << Error::InvalidArgument
            << "takes 1 argument(s), got 2";
        QTest::newRow("wrong type")
            << "describe" << QVariantList { QStringLiteral("seven") } << Error::InvalidArgument
            << "argument 1 of thermostat.describe(int): expected int, got a string";
        QTest::newRow("fraction for an integer")
            << "describe" << QVariantList { 1.5 } << Error::InvalidArgument
            << "expected int, got a floating-point number";
        QTest::newRow("gadget field of the wrong type")
            << "roundTrip"
            << QVariantList { QVariantMap {
                   { QStringLiteral("celsius"), QStringLiteral("warm") } } }
            << Error::InvalidArgument << "Reading.celsius: expected double, got a string";
    }
    void callErrorsNameTheCause()
    {
        QFETCH(QString, method);
        QFETCH(QVariantList, arguments);
        QFETCH(Error, error);
        QFETCH(QString, says);
        Pair pair("errors");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<ipc::DynamicReplica> replica(
            pair.client->acquireDynamic(QStringLiteral("thermostat")));
        QVERIFY(replica->waitForValid(10s));
        const auto [code, text] = failureOf(replica->call(method, arguments));
        QVERIFY2(text.contains(says), qPrintable(text));
        QCOMPARE(code, error);
        QCOMPARE(thermostat.describeCalls, 0);
        // The replica and the connection go on.
        QFuture<QVariant> fine = replica->call(QStringLiteral("describe"), { 1 });
        QVERIFY(finishes(fine));
        QCOMPARE(thermostat.describeCalls, 1);
    }

    void interfaceMismatchNamesTheMember()
    {
        Pair pair("mismatch");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<StaleThermostatReplica> stale(
            pair.client->acquire<StaleThermostatReplica>(QStringLiteral("thermostat")));
        QSignalSpy failed(stale.get(), &Replica::errorOccurred);
        QVERIFY(!stale->waitForValid(10s));
        QCOMPARE(stale->state(), Replica::State::InterfaceMismatch);
        QCOMPARE(stale->error(), Error::InterfaceMismatch);
        QCOMPARE(failed.size(), 1);
        QVERIFY2(stale->errorString().contains(QStringLiteral("method QString describe(QString)")),
            qPrintable(stale->errorString()));
        QVERIFY2(stale->errorString().contains(QStringLiteral("QString describe(int detail)")),
            qPrintable(stale->errorString()));

        std::unique_ptr<RetypedThermostatReplica> retyped(
            pair.client->acquire<RetypedThermostatReplica>(QStringLiteral("thermostat")));
        QVERIFY(!retyped->waitForValid(10s));
        QCOMPARE(retyped->state(), Replica::State::InterfaceMismatch);
        QVERIFY2(
            retyped->errorString().contains(QStringLiteral("temperatureChanged(int temperature)"))
                && retyped->errorString().contains(
                    QStringLiteral("temperatureChanged(double temperature)")),
            qPrintable(retyped->errorString()));

        // Added members are fine: the typed replica uses fewer than the source has.
        std::unique_ptr<ThermostatReplica> current(
            pair.client->acquire<ThermostatReplica>(QStringLiteral("thermostat")));
        QVERIFY2(current->waitForValid(10s), qPrintable(current->errorString()));
    }

    void unknownObjectIsNamed()
    {
        Pair pair("unknown");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<ipc::DynamicReplica> replica(
            pair.client->acquireDynamic(QStringLiteral("boiler")));
        QVERIFY(!replica->waitForValid(10s));
        QCOMPARE(replica->state(), Replica::State::SourceGone);
        QCOMPARE(replica->error(), Error::ObjectNotFound);
        QVERIFY2(replica->errorString().contains(
                     QStringLiteral("no object is exposed as \"boiler\" (exposed: thermostat)")),
            qPrintable(replica->errorString()));
    }

    void withdrawnAndDeletedSourcesTellReplicas()
    {
        Pair pair("gone");
        auto thermostat = std::make_unique<Thermostat>();
        Thermostat other;
        QVERIFY(pair.server.exposeObject(thermostat.get(), QStringLiteral("a")));
        QVERIFY(pair.server.exposeObject(&other, QStringLiteral("b")));
        QVERIFY(pair.start());
        std::unique_ptr<ipc::DynamicReplica> a(pair.client->acquireDynamic(QStringLiteral("a")));
        std::unique_ptr<ipc::DynamicReplica> b(pair.client->acquireDynamic(QStringLiteral("b")));
        QVERIFY(a->waitForValid(10s));
        QVERIFY(b->waitForValid(10s));
        thermostat.reset();
        QTRY_COMPARE_WITH_TIMEOUT(a->state(), Replica::State::SourceGone, Patience);
        QVERIFY2(a->errorString().contains(QStringLiteral("the object was deleted")),
            qPrintable(a->errorString()));
        QVERIFY(pair.server.unexposeObject(QStringLiteral("b")));
        QTRY_COMPARE_WITH_TIMEOUT(b->state(), Replica::State::SourceGone, Patience);
        QVERIFY2(
            b->errorString().contains(QStringLiteral("unexposed")), qPrintable(b->errorString()));
        QVERIFY(pair.server.exposedObjects().isEmpty());
        const auto [code, text] = failureOf(b->call(QStringLiteral("describe"), { 1 }));
        QCOMPARE(code, Error::ObjectNotFound);
        QCOMPARE(other.describeCalls, 0);
    }

    void twoReplicasOfOneObject()
    {
        Pair pair("two");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<ThermostatReplica> first(
            pair.client->acquire<ThermostatReplica>(QStringLiteral("thermostat")));
        std::unique_ptr<ipc::DynamicReplica> second(
            pair.client->acquireDynamic(QStringLiteral("thermostat")));
        QVERIFY(first->waitForValid(10s));
        QVERIFY(second->waitForValid(10s));
        QSignalSpy firstSaw(first.get(), &ThermostatReplica::alarm);
        QSignalSpy secondSaw(second.get(), &ipc::DynamicReplica::signalEmitted);
        Q_EMIT thermostat.alarm(QStringLiteral("one"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(firstSaw.size(), 1, Patience);
        QTRY_COMPARE_WITH_TIMEOUT(secondSaw.size(), 1, Patience);
        // One releases; the other still hears.
        first.reset();
        Q_EMIT thermostat.alarm(QStringLiteral("two"), 2);
        QTRY_COMPARE_WITH_TIMEOUT(secondSaw.size(), 2, Patience);
        QCOMPARE(secondSaw.at(1).at(1).toList().value(0).toString(), QStringLiteral("two"));
    }

    void sourceOnTheClientSide()
    {
        Pair pair("clientside");
        QVERIFY(pair.start());
        Thermostat thermostat;
        QVERIFY(pair.client->exposeObject(&thermostat, QStringLiteral("sensor")));
        QTRY_COMPARE_WITH_TIMEOUT(pair.server.clients().size(), 1, Patience);
        const quint64 clientId = pair.server.clients().first().id;
        std::unique_ptr<ThermostatReplica> replica(
            pair.server.acquire<ThermostatReplica>(clientId, QStringLiteral("sensor")));
        QVERIFY2(replica->waitForValid(10s), qPrintable(replica->errorString()));
        QSignalSpy changed(replica.get(), &ThermostatReplica::temperatureChanged);
        thermostat.measure(30);
        QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 1, Patience);
        QCOMPARE(replica->temperature(), 30.0);
        QFuture<QString> described = replica->describe(4);
        QVERIFY(finishes(described));
        QCOMPARE(described.result(), QStringLiteral("thermostat at 30, detail 4"));
        // The client goes: its objects' replicas say so.
        pair.client.reset();
        QTRY_COMPARE_WITH_TIMEOUT(replica->state(), Replica::State::SourceGone, Patience);
    }

    // 100,000 emissions through a TCP proxy cut three times on the way:
    // each reaches the replica once, in order; the replica is Suspect while
    // cut and Valid again on resumption, with nothing to resynchronise.
    void emissionsSurviveCutsExactlyOnce()
    {
        ipc::Server server(QStringLiteral("tcp://127.0.0.1:0"));
        Thermostat thermostat;
        QVERIFY(server.exposeObject(&thermostat, QStringLiteral("counter")));
        QVERIFY(server.listen());
        CuttingProxy proxy(
            quint16(server.listeningAddress().section(QLatin1Char(':'), -1).toUInt()));
        QVERIFY(proxy.listen());
        ipc::Client client(QStringLiteral("tcp://127.0.0.1:%1").arg(proxy.port()));
        std::unique_ptr<ThermostatReplica> replica(
            client.acquire<ThermostatReplica>(QStringLiteral("counter")));
        QVERIFY2(replica->waitForValid(10s), qPrintable(replica->errorString()));
        QSignalSpy resynchronized(replica.get(), &Replica::resynchronized);
        QList<Replica::State> states;
        connect(replica.get(), &Replica::stateChanged, this,
            [&](Replica::State state) { states.append(state); });

        constexpr int Total = 100000;
        int next = 0; // the next value the replica must see
        bool inOrder = true;
        connect(replica.get(), &ThermostatReplica::counted, this, [&](int n) {
            inOrder = inOrder && n == next;
            next = n + 1;
        });
        // The source emits in batches while the replica is at most 20,000
        // behind: a producer that respects back-pressure loses nothing.
        int emitted = 0;
        QTimer producer;
        connect(&producer, &QTimer::timeout, this, [&] {
            for (int i = 0; i < 500 && emitted < Total && emitted - next < 20000; ++i)
                Q_EMIT thermostat.counted(emitted++);
        });
        producer.start(0);
        int cuts = 0;
        for (const int cutAt : { 20000, 50000, 80000 }) {
            // A cut counts only on a connection: the last one may still be
            // coming back when the replica is already this far.
            QTRY_VERIFY_WITH_TIMEOUT(next >= cutAt && replica->state() == Replica::State::Valid, 60000);
            proxy.cut();
            ++cuts;
            // Suspect while cut (it may be Valid again by the time we look).
            QTRY_COMPARE_WITH_TIMEOUT(states.count(Replica::State::Suspect), cuts, Patience);
        }
        QTRY_COMPARE_WITH_TIMEOUT(next, Total, 120000);
        QVERIFY(inOrder);
        QCOMPARE(emitted, Total);
        QTRY_COMPARE_WITH_TIMEOUT(replica->state(), Replica::State::Valid, Patience);
        QCOMPARE(resynchronized.size(), 0);
        QVERIFY(proxy.connections() >= 4);
        QCOMPARE(states.count(Replica::State::Suspect), 3);
    }

    // A server process that restarts loses the replica's acquire: the
    // client acquires again, reads the new values, fires the changed
    // property's signal and says it resynchronised.
    void restartedSourceResynchronises()
    {
        const QString name = uniqueName("restart");
        auto server = std::make_unique<ipc::Server>(name);
        auto thermostat = std::make_unique<Thermostat>();
        QVERIFY(server->exposeObject(thermostat.get(), QStringLiteral("thermostat")));
        QVERIFY(server->listen());
        ipc::Client client(name);
        std::unique_ptr<ThermostatReplica> replica(
            client.acquire<ThermostatReplica>(QStringLiteral("thermostat")));
        QVERIFY(replica->waitForValid(10s));
        QCOMPARE(replica->temperature(), 20.5);
        QSignalSpy resynchronized(replica.get(), &Replica::resynchronized);
        QSignalSpy temperatures(replica.get(), &ThermostatReplica::temperatureChanged);

        server.reset();
        QTRY_COMPARE_WITH_TIMEOUT(replica->state(), Replica::State::Suspect, Patience);
        thermostat = std::make_unique<Thermostat>();
        thermostat->measure(30);
        server = std::make_unique<ipc::Server>(name);
        QVERIFY(server->exposeObject(thermostat.get(), QStringLiteral("thermostat")));
        QVERIFY(server->listen());

        QVERIFY(resynchronized.wait(Patience));
        QCOMPARE(replica->state(), Replica::State::Valid);
        QCOMPARE(resynchronized.at(0).at(0).toULongLong(), 0ULL);
        QCOMPARE(replica->temperature(), 30.0);
        QCOMPARE(temperatures.size(), 1);
        QCOMPARE(temperatures.at(0).at(0).toDouble(), 30.0);
        // The new source's signals reach it.
        thermostat->measure(31);
        QTRY_COMPARE_WITH_TIMEOUT(replica->temperature(), 31.0, Patience);
    }

    // A replica that cannot keep up: the source refuses to queue without
    // bound (the client's write queue is small here) and tells the replica
    // how many emissions it missed, with the current values.
    void slowReplicaGetsBackPressure()
    {
        const QString name = uniqueName("slow");
        ipc::ServerConfig config;
        config.writeQueueLimit = 50;
        config.sendWindow.messages = 50;
        ipc::Server server(name, config);
        Thermostat thermostat;
        QVERIFY(server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(server.listen());
        ipc::Client client(name);
        std::unique_ptr<ThermostatReplica> replica(
            client.acquire<ThermostatReplica>(QStringLiteral("thermostat")));
        QVERIFY(replica->waitForValid(10s));
        QSignalSpy resynchronized(replica.get(), &Replica::resynchronized);
        int seen = 0;
        connect(replica.get(), &ThermostatReplica::counted, this, [&](int) { ++seen; });
        // 1,000 emissions in one go: far more than window and queue hold.
        // The notice goes once the queue has room again.
        for (int i = 0; i < 1000; ++i)
            Q_EMIT thermostat.counted(i);
        QVERIFY(resynchronized.wait(Patience));
        const quint64 missed = resynchronized.at(0).at(0).toULongLong();
        QVERIFY2(missed > 0, "the replica should have missed some");
        QTRY_COMPARE_WITH_TIMEOUT(
            quint64(seen) + missed, quint64(1000), Patience); // each came or was counted
        QCOMPARE(replica->state(), Replica::State::Valid);
        thermostat.measure(40);
        QTRY_COMPARE_WITH_TIMEOUT(replica->temperature(), 40.0, Patience);
    }

    // The application's counts are its own messages: confirmations, the
    // unconfirmed count and what comes back undelivered leave the remote-
    // object layer's traffic out.
    void objectTrafficStaysOutOfTheApplicationsCounts()
    {
        Pair pair("counts");
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<ThermostatReplica> replica(
            pair.client->acquire<ThermostatReplica>(QStringLiteral("thermostat")));
        QVERIFY(replica->waitForValid(10s));
        int delivered = 0;
        connect(pair.client.get(), &ipc::Client::messagesDelivered, this,
            [&](int count) { delivered += count; });
        for (int i = 0; i < 3; ++i) {
            QVERIFY(pair.client->write(1, "mine"));
            replica->describe(i);
            thermostat.measure(30 + i);
        }
        QVERIFY(pair.client->waitForDelivered(10s));
        QTRY_COMPARE_WITH_TIMEOUT(replica->temperature(), 32.0, Patience);
        QCOMPARE(delivered, 3);
        QCOMPARE(pair.client->unconfirmedMessageCount(), 0);

        // A client that never connects: closed, it hands back its own two
        // messages, not the acquire that waited with them.
        ipc::Client lonely(uniqueName("nobody"));
        std::unique_ptr<ipc::DynamicReplica> waiting(
            lonely.acquireDynamic(QStringLiteral("thermostat")));
        QVERIFY(lonely.write(1, "one"));
        QVERIFY(lonely.write(1, "two"));
        QCOMPARE(lonely.unconfirmedMessageCount(), 2);
        QSignalSpy dropped(&lonely, &ipc::Client::messagesDropped);
        lonely.close();
        QCOMPARE(dropped.size(), 1);
        QCOMPARE(dropped.at(0).at(0).toInt(), 2);
        QCOMPARE(lonely.takeUndeliveredMessages().size(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(waiting->state(), Replica::State::SourceGone, Patience);
    }

    // golang-ipc v2 has no remote objects: an acquire over it fails at once,
    // saying why, and the replica is SourceGone.
    void aWireWithoutObjectsRefusesTheAcquire()
    {
        const QString name = uniqueName("v2");
        ipc::ServerConfig serverConfig;
        serverConfig.protocol = ipc::Protocol::GolangIpcV2;
        ipc::Server server(name, serverConfig);
        Thermostat thermostat;
        QVERIFY(server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(server.listen());
        ipc::ClientConfig clientConfig;
        clientConfig.protocol = ipc::Protocol::GolangIpcV2;
        ipc::Client client(name, clientConfig);
        QVERIFY(client.waitForConnected(10s));
        std::unique_ptr<ipc::DynamicReplica> replica(client.acquireDynamic(QStringLiteral("thermostat")));
        QVERIFY(!replica->waitForValid(10s));
        QCOMPARE(replica->state(), Replica::State::SourceGone);
        QCOMPARE(replica->error(), Error::ProtocolMismatch);
        QVERIFY2(replica->errorString().contains(QStringLiteral("remote objects refused")),
                 qPrintable(replica->errorString()));
    }

    // The object goes while a call is on its way: the call ends once, with
    // ObjectNotFound, and the replica hears the object is gone.
    void sourceDeletedMidCall()
    {
        Pair pair("midcall");
        auto thermostat = std::make_unique<Thermostat>();
        QVERIFY(pair.server.exposeObject(thermostat.get(), QStringLiteral("thermostat")));
        QVERIFY(pair.start());
        std::unique_ptr<ipc::DynamicReplica> replica(pair.client->acquireDynamic(QStringLiteral("thermostat")));
        QVERIFY(replica->waitForValid(10s));
        QFuture<QVariant> call = replica->call(QStringLiteral("describe"), {1});
        thermostat.reset(); // before the server has read the call
        const auto [code, text] = failureOf(call);
        QCOMPARE(code, Error::ObjectNotFound);
        QVERIFY2(text.contains(QStringLiteral("withdrawn")), qPrintable(text));
        QTRY_COMPARE_WITH_TIMEOUT(replica->state(), Replica::State::SourceGone, Patience);
    }

    // A client hears only the objects it acquired: another client's object
    // traffic never reaches it.
    void replicasHearOnlyWhatTheyAcquired()
    {
        Pair pair("only");
        Thermostat thermostat;
        Thermostat other;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("thermostat")));
        QVERIFY(pair.server.exposeObject(&other, QStringLiteral("other")));
        QVERIFY(pair.start());
        ipc::Client second(pair.name);
        std::unique_ptr<ipc::DynamicReplica> first(pair.client->acquireDynamic(QStringLiteral("thermostat")));
        std::unique_ptr<ipc::DynamicReplica> elsewhere(second.acquireDynamic(QStringLiteral("other")));
        QVERIFY(first->waitForValid(10s));
        QVERIFY(elsewhere->waitForValid(10s));
        QSignalSpy firstHeard(first.get(), &ipc::DynamicReplica::signalEmitted);
        QSignalSpy elsewhereHeard(elsewhere.get(), &ipc::DynamicReplica::signalEmitted);
        Q_EMIT thermostat.alarm(QStringLiteral("for the first"), 1);
        QVERIFY(firstHeard.wait(Patience));
        // Anything of thermostat's sent to the second client would arrive
        // before this, on the same connection.
        Q_EMIT other.alarm(QStringLiteral("for the second"), 2);
        QVERIFY(elsewhereHeard.wait(Patience));
        QCOMPARE(elsewhereHeard.size(), 1);
        QCOMPARE(elsewhereHeard.at(0).at(1).toList().value(0).toString(), QStringLiteral("for the second"));
        QCOMPARE(firstHeard.size(), 1);
    }

    void objectsThatCannotTravelAreRefusedOnExpose()
    {
        Pair pair("refuse");
        QSignalSpy errors(&pair.server, &ipc::Server::errorOccurred);
        QVERIFY(!pair.server.exposeObject(nullptr, QStringLiteral("x")));
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).at(0).value<Error>(), Error::InvalidArgument);
        Thermostat thermostat;
        QVERIFY(pair.server.exposeObject(&thermostat, QStringLiteral("t")));
        QVERIFY(!pair.server.exposeObject(&thermostat, QStringLiteral("t")));
        QVERIFY2(pair.server.errorString().contains(QStringLiteral("already exposed as \"t\"")),
            qPrintable(pair.server.errorString()));
        // A QObject pointer cannot travel: refused now, naming the member
        // and the type, not at the first call.
        Unsendable unsendable;
        QVERIFY(!pair.server.exposeObject(&unsendable, QStringLiteral("u")));
        QCOMPARE(pair.server.error(), Error::InvalidArgument);
        QVERIFY2(pair.server.errorString().contains(QStringLiteral("parameter of adopt(QObject*)"))
                && pair.server.errorString().contains(QStringLiteral("QObject*")),
            qPrintable(pair.server.errorString()));
        QCOMPARE(pair.server.exposedObjects(), QStringList { QStringLiteral("t") });
    }
};

QTEST_MAIN(TestObjects)
#include "tst_objects.moc"
