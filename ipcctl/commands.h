// One function per ipcctl command; each parses its own arguments (after the
// command name) and returns the process's exit code.
#pragma once

#include <QStringList>

namespace ipcctl {

int listen(const QStringList &arguments);
int send(const QStringList &arguments);
int ping(const QStringList &arguments);
int info(const QStringList &arguments);
int serve(const QStringList &arguments);
int eat(const QStringList &arguments);
int watch(const QStringList &arguments);
// Remote objects (objects.cpp).
int objects(const QStringList &arguments);
int call(const QStringList &arguments);
int get(const QStringList &arguments);
int set(const QStringList &arguments);

} // namespace ipcctl
