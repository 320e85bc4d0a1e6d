// Names the telemetry events use for the library's enums (docs/TELEMETRY.md).
#pragma once

#include <ipc/config.h>
#include <ipc/types.h>

#include <QString>

namespace ipc::telemetry {

QString transportName(const QString &address); // "tcp" or "local"
QString protocolName(Protocol protocol);       // "native", "golang-ipc-v2", "line"
QString securityName(SecurityLevel level);     // "plain", "weak", "encrypted", "authenticated"
QString errorName(Error error);                // Error's enumerator name, "" for NoError

} // namespace ipc::telemetry
