// The load test: 1,000 concurrent clients in two processes, each echoing
// 1,000 numbered messages through one server process, plain and encrypted,
// local and TCP. ipc_load itself checks every echo and its order; this runs
// it and reads its verdict. IPC_LOAD_MESSAGES makes it smaller (the
// sanitizer builds use it); a file descriptor limit too low for 1,000
// connections makes it 200 clients.
#include <QProcess>
#include <QSignalSpy>
#include <QtTest>

#include <sys/resource.h>

namespace {

int clientCount()
{
    rlimit limit {};
    return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_max >= 1200 ? 1000 : 200;
}

int messageCount()
{
    const int fromEnvironment = qEnvironmentVariableIntValue("IPC_LOAD_MESSAGES");
    return fromEnvironment > 0 ? fromEnvironment : 1000;
}

} // namespace

class TestLoad : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void concurrentClientsEcho_data()
    {
        QTest::addColumn<QStringList>("options");
        QTest::newRow("local, encrypted")
            << QStringList { QStringLiteral("--transport"), QStringLiteral("local") };
        QTest::newRow("local, plain") << QStringList { QStringLiteral("--transport"),
            QStringLiteral("local"), QStringLiteral("--plain") };
        QTest::newRow("tcp, encrypted")
            << QStringList { QStringLiteral("--transport"), QStringLiteral("tcp") };
        QTest::newRow("tcp, plain") << QStringList { QStringLiteral("--transport"),
            QStringLiteral("tcp"), QStringLiteral("--plain") };
    }

    void concurrentClientsEcho()
    {
        QFETCH(QStringList, options);
        const int clients = clientCount();
        const int messages = messageCount();
        QProcess load;
        load.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        load.start(QStringLiteral(IPC_LOAD_PATH),
            QStringList { QStringLiteral("--clients"), QString::number(clients),
                QStringLiteral("--messages"), QString::number(messages) }
                + options);
        QVERIFY(load.waitForStarted(10000));
        QSignalSpy finished(&load, &QProcess::finished);
        QVERIFY(finished.wait(240000));
        const QByteArray out = load.readAllStandardOutput();
        qInfo().noquote() << out.trimmed();
        QCOMPARE(load.exitCode(), 0);
        const QByteArray total = QByteArray::number(qint64(clients) * messages);
        QVERIFY2(
            out.contains(
                QStringLiteral("ok: %1 clients x %2 messages").arg(clients).arg(messages).toUtf8())
                && out.contains(total + " of " + total + " echoed in order"),
            out.constData());
    }
};

QTEST_MAIN(TestLoad)
#include "tst_load.moc"
