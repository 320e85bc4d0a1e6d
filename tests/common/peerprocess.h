// Runs the ipc_test_peer helper under QProcess. Processes are stopped only by
// the pid QProcess started.
#pragma once

#include <QProcess>
#include <QSignalSpy>
#include <QStringList>

inline const QString &peerPath()
{
    static const QString path = QStringLiteral(IPC_PEER_PATH);
    return path;
}

// Starts the helper in a server mode and waits for its "listening ADDRESS"
// line; returns the address, or an empty string when it did not start.
inline QString startPeerServer(QProcess &process, const QStringList &arguments)
{
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process.start(peerPath(), arguments);
    if (!process.waitForStarted(10000))
        return QString();
    QSignalSpy output(&process, &QProcess::readyReadStandardOutput);
    while (!process.canReadLine()) {
        if (process.state() != QProcess::Running || !output.wait(10000))
            return QString();
    }
    const QByteArray line = process.readLine().trimmed();
    return line.startsWith("listening ") ? QString::fromUtf8(line.mid(10)) : QString();
}

inline bool waitForExit(QProcess &process)
{
    if (process.state() == QProcess::NotRunning)
        return true;
    QSignalSpy finished(&process, &QProcess::finished);
    return finished.wait(60000) || process.state() == QProcess::NotRunning;
}

inline void stopPeer(QProcess &process)
{
    if (process.state() != QProcess::NotRunning) {
        process.kill(); // only the process this test started
        waitForExit(process);
    }
}
