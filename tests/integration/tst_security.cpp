// Security defaults: a symlink or a file planted at the socket path is never
// followed or removed, a path too long for a unix socket and a directory the
// user cannot write give clear errors, the kernel's peer credentials are
// there per client (sameUserOnly), and with default configurations every
// connection is encrypted and TCP listens on loopback only.
#include "testnames.h"

#include "buildtransport.h"
#include <ipc/client.h>
#include <ipc/server.h>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

using namespace ipc;

namespace {

const QString peerPath = QStringLiteral(IPC_PEER_PATH);

// A socket file nobody listens on any more, as a crashed server leaves it.
bool makeStaleSocket(const QString &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    const QByteArray bytes = QFile::encodeName(path);
    std::memcpy(address.sun_path, bytes.constData(), size_t(bytes.size()));
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0;
    ::close(fd);
    return bound;
}

bool isSymlink(const QString &path)
{
    struct stat info;
    return ::lstat(QFile::encodeName(path).constData(), &info) == 0 && S_ISLNK(info.st_mode);
}

} // namespace

class TestSecurity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Default configurations on both sides: encrypted on local sockets and
    // on TCP, and a TCP address without a host is loopback.
    void defaultsAreEncryptedAndLoopback_data()
    {
        QTest::addColumn<QString>("address");
        QTest::newRow("local") << uniqueName("defaults");
        QTest::newRow("tcp without a host") << QStringLiteral("tcp://:0");
    }

    void defaultsAreEncryptedAndLoopback()
    {
        QFETCH(QString, address);
        Server server(address);
        QVERIFY(server.listen());
        if (address.startsWith(QLatin1String("tcp")))
            QVERIFY2(server.listeningAddress().startsWith(QLatin1String("tcp://127.0.0.1:")),
                     qPrintable(server.listeningAddress()));
        Client client(server.listeningAddress());
        QVERIFY(client.waitForConnected(std::chrono::seconds(10)));
        QCOMPARE(client.encryption().level, SecurityLevel::Encrypted);
        QCOMPARE(client.encryption().protocol, QStringLiteral("Noise_NN_25519_AESGCM_SHA256"));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 10000);
        QCOMPARE(server.clientInfo(server.clientIds().first()).encryption.level, SecurityLevel::Encrypted);
    }

    // The kernel's word on who connected, per client; sameUserOnly lets this
    // user's processes in (other users are refused: tst_multiprocess).
    void peerCredentialsAndSameUser()
    {
        const QString name = uniqueName("sameuser");
        ServerConfig config;
        config.sameUserOnly = true;
        Server server(name, config);
        if (!hasLinuxTransport()) { // said plainly, not a server that refuses everyone
            QVERIFY(!server.listen());
            QCOMPARE(server.error(), Error::InvalidConfiguration);
            QVERIFY2(server.errorString().contains(QLatin1String("peer's credentials")), qPrintable(server.errorString()));
            return;
        }
        QVERIFY(server.listen());
        Client client(name);
        QVERIFY(client.waitForConnected(std::chrono::seconds(30)));
        QTRY_COMPARE_WITH_TIMEOUT(server.clientCount(), 1, 30000);
        const PeerCredentials credentials = server.clients().first().credentials;
        QCOMPARE(credentials.pid, QCoreApplication::applicationPid());
        QCOMPARE(credentials.uid, qint64(::getuid()));
        QCOMPARE(credentials.gid, qint64(::getgid()));
        QCOMPARE(server.refusedPeerCount(), 0);

        // Over TCP no one vouches for the user: refused as a configuration.
        Server tcp(QStringLiteral("tcp://127.0.0.1:0"), config);
        QCOMPARE(tcp.error(), Error::InvalidConfiguration);
        QVERIFY2(tcp.errorString().contains(QLatin1String("sameUserOnly needs a local socket")),
                 qPrintable(tcp.errorString()));
    }

    void symlinkIsNeitherFollowedNorRemoved_data()
    {
        QTest::addColumn<QString>("target");
        QTest::newRow("to a regular file") << "file";
        QTest::newRow("to a directory") << "directory";
        QTest::newRow("to a stale socket") << "socket";
    }

    void symlinkIsNeitherFollowedNorRemoved()
    {
        QFETCH(QString, target);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString targetPath = dir.filePath(QStringLiteral("target"));
        if (target == QLatin1String("file")) {
            QFile file(targetPath);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("precious");
        } else if (target == QLatin1String("directory")) {
            QVERIFY(QDir().mkdir(targetPath));
        } else {
            QVERIFY(makeStaleSocket(targetPath));
        }
        const QString link = socketPathFor(uniqueName("symlink"));
        QVERIFY(QFile::link(targetPath, link));
        Server server(link);
        QVERIFY(!server.listen());
        QCOMPARE(server.error(), Error::AddressInUse);
        QVERIFY2(server.errorString().contains(QLatin1String("not a socket")), qPrintable(server.errorString()));
        QVERIFY(isSymlink(link)); // still there, still a link
        QVERIFY(QFileInfo::exists(targetPath));
        if (target == QLatin1String("file")) {
            QFile file(targetPath);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QCOMPARE(file.readAll(), QByteArray("precious"));
        }
        QFile::remove(link);
    }

    void pathTooLongForAUnixSocket()
    {
        const QString path = QStringLiteral("/tmp/") + QString(120, QLatin1Char('x')) + QStringLiteral(".sock");
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("longer than 107 bytes")));
        Server server(path);
        QCOMPARE(server.status(), Status::Error);
        QCOMPARE(server.error(), Error::InvalidAddress);
        QVERIFY(!server.listen());
        QVERIFY2(server.errorString().contains(QLatin1String("longer than 107 bytes")), qPrintable(server.errorString()));
    }

    // A directory the user cannot write: run the server as an unprivileged
    // user (root may write anywhere).
    void unwritableDirectory()
    {
        if (::geteuid() != 0)
            QSKIP("needs root to start a peer as another user");
        QTemporaryDir dir(QStringLiteral("/tmp/ipcsec-XXXXXX"));
        QVERIFY(dir.isValid());
        // The helper and the library where the other user can run them.
        const QString bin = dir.filePath(QStringLiteral("bin"));
        QVERIFY(QDir().mkdir(bin));
        QVERIFY(QFile::copy(peerPath, bin + QStringLiteral("/ipc_test_peer")));
        const QDir libDir(QFileInfo(QFileInfo(peerPath).dir(), QStringLiteral("../libipc")).absoluteFilePath());
        for (const QString &lib : libDir.entryList({QStringLiteral("libipc.so*")}, QDir::Files))
            QVERIFY(QFile::copy(libDir.filePath(lib), bin + QLatin1Char('/') + lib));
        const QString readOnly = dir.filePath(QStringLiteral("readonly"));
        QVERIFY(QDir().mkdir(readOnly));
        for (const QString &path : {dir.path(), bin, readOnly})
            QVERIFY(::chmod(QFile::encodeName(path).constData(), 0755) == 0);

        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LD_LIBRARY_PATH"), bin);
        process.setProcessEnvironment(env);
        process.setChildProcessModifier([] {
            const gid_t nogroup = 65534;
            if (::setgroups(1, &nogroup) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(3);
        });
        process.start(bin + QStringLiteral("/ipc_test_peer"),
                      {QStringLiteral("server"), readOnly + QStringLiteral("/app.sock")});
        QVERIFY(process.waitForFinished(30000));
        const QByteArray out = process.readAllStandardOutput() + process.readAllStandardError();
        QVERIFY2(process.exitCode() != 3, "could not switch to the unprivileged user");
        QCOMPARE(process.exitCode(), 1);
        QVERIFY2(out.contains("cannot listen on " + QFile::encodeName(readOnly)), out.constData());
        QVERIFY2(out.toLower().contains("permission denied"), out.constData());
        QVERIFY(!QFileInfo::exists(readOnly + QStringLiteral("/app.sock")));
    }
};

QTEST_MAIN(TestSecurity)
#include "tst_security.moc"
