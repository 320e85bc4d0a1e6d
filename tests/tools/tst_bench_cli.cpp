// ipc_bench's command line: --help describes it and measures nothing, and
// an unknown option or name is an error, not a full run.
#include <QProcess>
#include <QtTest>

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run bench(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(IPC_BENCH_PATH), arguments);
    Run run;
    if (!process.waitForStarted(10000))
        return run;
    if (!process.waitForFinished(120000)) {
        process.kill(); // only the process this test started
        process.waitForFinished(10000);
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

} // namespace

class TestBenchCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpDescribesAndRunsNothing()
    {
        const Run run = bench({QStringLiteral("--help")});
        QCOMPARE(run.exitCode, 0);
        for (const char *expected : {"Usage:", "--quick", "--repeat", "--scenarios", "--only", "--json",
                                     "Scenarios: rtt", "Rows: ", "libipc-local-plain"})
            QVERIFY2(run.out.contains(expected), expected);
        QVERIFY2(!run.err.contains("run 1/"), run.err.constData()); // no measurement started
    }

    void badArgumentsAreErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--frobnicate")} << QStringLiteral("Unknown option 'frobnicate'");
        QTest::newRow("unknown scenario") << QStringList{QStringLiteral("--scenarios"), QStringLiteral("rtt,warp")}
                                          << QStringLiteral("unknown scenario \"warp\"");
        QTest::newRow("unknown row") << QStringList{QStringLiteral("--only"), QStringLiteral("carrier-pigeon")}
                                     << QStringLiteral("unknown row \"carrier-pigeon\"");
        QTest::newRow("bad repeat") << QStringList{QStringLiteral("--repeat"), QStringLiteral("many")}
                                    << QStringLiteral("--repeat needs a number");
        QTest::newRow("stray argument") << QStringList{QStringLiteral("quick")} << QStringLiteral("unexpected argument");
    }

    void badArgumentsAreErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const Run run = bench(arguments);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(QString::fromUtf8(run.err).contains(message), run.err.constData());
        QVERIFY2(!run.err.contains("run 1/"), run.err.constData());
    }
};

QTEST_MAIN(TestBenchCli)
#include "tst_bench_cli.moc"
