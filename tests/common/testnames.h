// Unique socket names and paths per test, so suites run in parallel.
#pragma once

#include <QCoreApplication>
#include <QString>

inline QString uniqueName(const char *tag)
{
    static int counter = 0;
    return QStringLiteral("ipctest_%1_%2_%3")
        .arg(QLatin1String(tag))
        .arg(QCoreApplication::applicationPid())
        .arg(++counter);
}

inline QString socketPathFor(const QString &name)
{
    return QStringLiteral("/tmp/%1.sock").arg(name);
}
