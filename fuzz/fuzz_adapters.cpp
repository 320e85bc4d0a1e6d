// Drives one protocol adapter with hostile bytes, no sockets: the first
// input byte picks the wire, the role and the security; the rest arrives in
// chunks whose sizes the input also decides. Every step must end in a
// clean event (NeedMore, Progress, Message, Closed or Failed) and never
// crash, hang or read out of bounds; after Closed or Failed nothing more is
// fed, as the engine does.
#include "protocol/adapter.h"

#include <QCoreApplication>

#include <cstddef>
#include <cstdint>

using namespace ipc;
using namespace ipc::protocol;

namespace {

std::unique_ptr<Adapter> adapterFor(std::uint8_t selector, Settings *settings)
{
    settings->role = selector & 1 ? Role::Server : Role::Client;
    settings->encryption = (selector & 2) != 0;
    settings->acknowledgements = (selector & 4) != 0;
    settings->maxMessageSize = 1024 + (selector & 8 ? 65536 : 0);
    settings->instance = 42;
    settings->windowMessages = 64;
    settings->windowBytes = 65536;
    if (selector & 16)
        settings->preSharedKey = QByteArray(32, 'k');
    switch ((selector >> 5) % 3) {
    case 0: settings->protocol = Protocol::Native; break;
    case 1: settings->protocol = Protocol::GolangIpcV2; settings->preSharedKey.clear(); break;
    default: settings->protocol = Protocol::Line; settings->preSharedKey.clear(); settings->encryption = false; break;
    }
    if (settings->protocol == Protocol::Native && settings->role == Role::Client)
        return adapterForGreeting(3, *settings); // as a native client picks it
    return createAdapter(*settings);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    Settings settings;
    std::unique_ptr<Adapter> adapter = adapterFor(data[0], &settings);
    if (!adapter)
        return 0;
    Output out;
    Event event = adapter->start(out);
    if (event.kind == Event::Failed)
        return 0;
    wire::FrameReader in(1024);
    std::size_t at = 1;
    int steps = 0;
    while (at < size) {
        // A chunk of 1 to 64 bytes, as reads split a stream.
        const std::size_t chunk = std::min<std::size_t>(size - at, 1 + (data[at] & 63));
        ++at;
        in.append(reinterpret_cast<const char *>(data + at), qsizetype(std::min(chunk, size - at)));
        at += std::min(chunk, size - at);
        for (;;) {
            event = adapter->next(in, out);
            out.clear();
            out.block() = QByteArray();
            if (++steps > 100000)
                __builtin_trap(); // a loop that makes no progress
            if (event.kind == Event::NeedMore)
                break;
            if (event.kind == Event::Closed || event.kind == Event::Failed) {
                adapter->endOfStream(in, Error::ConnectionLost, QStringLiteral("end"));
                return 0;
            }
            if (event.kind == Event::Established) {
                adapter->writeMessage(1, QByteArray("x"), out);
                adapter->writeControl(out, Control::ack(1));
                out.clear();
            }
        }
    }
    adapter->endOfStream(in, Error::ConnectionLost, QStringLiteral("end"));
    return 0;
}
