#include "protocol/adapter.h"

#include "protocol/line.h"
#include "protocol/native.h"

namespace ipc::protocol {

Adapter::~Adapter() = default;

void Adapter::writeGoodbye(Output &)
{
}

bool Adapter::writePing(Output &)
{
    return false;
}

bool Adapter::pendingLargeMessage(const wire::FrameReader &, qint32 *, qsizetype *) const
{
    return false;
}

// Where a wire is chosen. A new wire adds its adapter here.
std::unique_ptr<Adapter> createAdapter(const Settings &settings)
{
    switch (settings.protocol) {
    case Protocol::Line:
        return std::make_unique<LineAdapter>(settings);
    case Protocol::Native:
        if (settings.role == Role::Server)
            return std::make_unique<NativeAdapter>(settings);
        return nullptr; // the server's first byte decides
    case Protocol::GolangIpcV2:
        break; // refused as a configuration error before a connection exists
    }
    return nullptr;
}

// A native server's preamble starts with version 3; golang-ipc's with 2.
// Whatever it is, the native adapter answers anything but 3 with a clear
// version mismatch.
std::unique_ptr<Adapter> adapterForGreeting(quint8, const Settings &settings)
{
    return std::make_unique<NativeAdapter>(settings);
}

} // namespace ipc::protocol
