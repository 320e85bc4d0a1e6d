// Configuration mistakes found before anything is opened: an empty string
// when the configuration can work, else the reason it cannot.
#pragma once

#include <ipc/config.h>

#include <QString>

namespace ipc {

QString configurationError(const ServerConfig &config);
QString configurationError(const ClientConfig &config);

} // namespace ipc
