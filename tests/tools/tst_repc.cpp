// ipc-repc as a build runs it: good .rep files give both headers, a bad one
// an error naming the file, the line and what was expected.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

class TestRepc : public QObject
{
    Q_OBJECT

    // Runs ipc-repc on `text`; its exit code, and stderr in *errors.
    int run(const QByteArray &text, QTemporaryDir &dir, QString *errors)
    {
        const QString rep = dir.filePath(QStringLiteral("thing.rep"));
        QFile file(rep);
        if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
            return -1;
        file.close();
        QProcess repc;
        repc.start(QStringLiteral(IPC_REPC_PATH), { QStringLiteral("-o"), dir.path(), rep });
        if (!repc.waitForFinished(60000))
            return -1;
        *errors = QString::fromUtf8(repc.readAllStandardError());
        return repc.exitCode();
    }

private Q_SLOTS:
    void writesBothHeaders()
    {
        QTemporaryDir dir;
        QString errors;
        QCOMPARE(
            run("#include <QString>\nclass Thing\n{\n    PROP(QString label READONLY);\n"
                "    PROP(QMap<QString, int> counts);\n    SIGNAL(happened(const QString &what));\n"
                "    SLOT(int add(int a, int b));\n};\n",
                dir, &errors),
            0);
        QFile source(dir.filePath(QStringLiteral("thing_source.h")));
        QFile replica(dir.filePath(QStringLiteral("thing_replica.h")));
        QVERIFY(source.open(QIODevice::ReadOnly));
        QVERIFY(replica.open(QIODevice::ReadOnly));
        const QString sourceText = QString::fromUtf8(source.readAll());
        const QString replicaText = QString::fromUtf8(replica.readAll());
        QVERIFY(sourceText.contains(QStringLiteral("class ThingSource : public QObject")));
        QVERIFY(sourceText.contains(QStringLiteral("virtual int add(int a, int b) = 0;")));
        QVERIFY(sourceText.contains(
            QStringLiteral("Q_PROPERTY(QString label READ label NOTIFY labelChanged)")));
        QVERIFY(sourceText.contains(
            QStringLiteral("virtual void setCounts(const QMap<QString, int> &value)")));
        QVERIFY(replicaText.contains(QStringLiteral("class ThingReplica : public ipc::Replica")));
        QVERIFY(replicaText.contains(
            QStringLiteral("Q_CLASSINFO(\"ipc.methods\", \"int add(int,int)\")")));
        QVERIFY(replicaText.contains(QStringLiteral("Q_CLASSINFO(\"ipc.writable\", \"counts\")")));
        QVERIFY(replicaText.contains(QStringLiteral(
            "QFuture<int> add(int a, int b) { return invoke<int>(\"add(int,int)\", a, b); }")));
    }

    void badInputIsNamed_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("says");
        QTest::newRow("no class") << QByteArray("#include <QString>\n") << "thing.rep: no class";
        QTest::newRow("unknown member")
            << QByteArray("class Thing\n{\n    METHOD(int x());\n};\n")
            << "thing.rep:3: expected PROP(...), SIGNAL(...) or SLOT(...)";
        QTest::newRow("slot without a return type")
            << QByteArray("class Thing\n{\n    SLOT(go());\n};\n")
            << "thing.rep:3: SLOT(returnType name(type name, ...)) expected";
        QTest::newRow("parameter without a name")
            << QByteArray("class Thing\n{\n    SIGNAL(moved(int));\n};\n")
            << "thing.rep:3: SIGNAL(name(type name, ...)) expected";
        QTest::newRow("not closed")
            << QByteArray("class Thing\n{\n    PROP(int x);\n") << "class Thing is not closed";
    }
    void badInputIsNamed()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, says);
        QTemporaryDir dir;
        QString errors;
        QCOMPARE(run(text, dir, &errors), 1);
        QVERIFY2(errors.contains(says), qPrintable(errors));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("thing_source.h"))));
    }
};

QTEST_GUILESS_MAIN(TestRepc)
#include "tst_repc.moc"
