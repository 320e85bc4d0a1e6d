// Telemetry plugs into the core here, at load time: the core only asks
// observerFor(), and this registers the factory that answers it with the
// process-wide Reporter when monitoring is on for an endpoint.
#include "session_observer.h"
#include "telemetry/reporter.h"

#include <ipc/telemetry.h>

namespace ipc::telemetry {

namespace {

SessionObserver *reporterFor(Monitoring monitoring)
{
    const QString address = monitorAddressFromEnvironment();
    if (monitoring == Monitoring::Environment && address.isEmpty())
        return nullptr;
    return Reporter::instance(address.isEmpty() ? defaultMonitorAddress() : address);
}

const bool registered = [] {
    setObserverFactory(&reporterFor);
    return true;
}();

} // namespace

} // namespace ipc::telemetry

// Static archives leave out object files nothing refers to; libipc's CMake
// targets ask the linker for this symbol so that the registration stays in.
extern "C" IPC_EXPORT const bool libipc_telemetry_plugin = ipc::telemetry::registered;
