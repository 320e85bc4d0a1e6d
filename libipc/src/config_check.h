// Configuration mistakes found before anything is opened: an empty string
// when the configuration can work, else the reason it cannot.
#pragma once

#include "address.h"

#include <ipc/config.h>
#include <ipc/types.h>

#include <QString>

#include <utility>

namespace ipc {

QString configurationError(const ServerConfig &config);
QString configurationError(const ClientConfig &config);

// What a Server or Client constructor finds first: a malformed address
// (InvalidAddress), else a configuration that cannot work
// (InvalidConfiguration), else NoError.
// What a configuration cannot do at this address.
QString configurationError(const ServerConfig &config, const Address &address);
QString configurationError(const ClientConfig &config, const Address &address);

template <typename Config>
std::pair<Error, QString> constructionError(const Address &address, const Config &config)
{
    if (!address.isValid())
        return {Error::InvalidAddress, address.error};
    QString error = configurationError(config);
    if (error.isEmpty())
        error = configurationError(config, address);
    return {error.isEmpty() ? Error::NoError : Error::InvalidConfiguration, error};
}

} // namespace ipc
