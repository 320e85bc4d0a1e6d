#include "logging.h"

namespace ipc {
Q_LOGGING_CATEGORY(lcServer, "ipc.server", QtWarningMsg)
Q_LOGGING_CATEGORY(lcClient, "ipc.client", QtWarningMsg)
Q_LOGGING_CATEGORY(lcWire, "ipc.wire", QtWarningMsg)
Q_LOGGING_CATEGORY(lcObjects, "ipc.objects", QtWarningMsg)
Q_LOGGING_CATEGORY(lcCrypto, "ipc.crypto", QtWarningMsg)
Q_LOGGING_CATEGORY(lcTelemetry, "ipc.telemetry", QtWarningMsg)
} // namespace ipc
