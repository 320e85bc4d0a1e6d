// Sealed batches (docs/PROTOCOL.md 5a) with hostile plaintext: random bytes
// cannot open as records, so a real client seals what the input says, as a
// peer that knows the keys could, and a real server opens it. The input is
// a sequence of stretches (a length byte, then that many bytes): each is
// sealed as records of its own and reaches the server in reads whose sizes
// the input also decides; a length byte of 0 flips a bit in the next
// record instead. Inner frames of any shape, any size, spanning records,
// cut short, over the limit: every step must end in a clean event.
#include "protocol/native.h"

#include <QCoreApplication>

#include <cstddef>
#include <cstdint>
#include <memory>

using namespace ipc;
using namespace ipc::protocol;

namespace {

// Seals chosen plaintext as the next stretch of its batches.
class Sealer : public NativeAdapter
{
public:
    using NativeAdapter::NativeAdapter;
    void sealStretch(const char *bytes, qsizetype size, Output &out)
    {
        m_unsealed.append(bytes, size);
        seal(out);
    }
};

QByteArray take(Output &out)
{
    QByteArray bytes = out.contents();
    bytes += out.block();
    out.block() = QByteArray();
    out.clear();
    return bytes;
}

// Runs a side until it needs more; false once it ended.
bool run(Adapter &side, wire::FrameReader &in, Output &out, QByteArray *written)
{
    for (int steps = 0;; ++steps) {
        if (steps > 200000)
            __builtin_trap(); // a loop that makes no progress
        const Event event = side.next(in, out);
        *written += take(out);
        if (event.kind == Event::NeedMore)
            return true;
        if (event.kind == Event::Closed || event.kind == Event::Failed)
            return false;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    Settings settings;
    settings.role = Role::Server;
    settings.maxMessageSize = 70000; // a message may span two records and be refused past that
    NativeAdapter server(settings);
    settings.role = Role::Client;
    settings.maxMessageSize = DefaultMaxMessageSize;
    Sealer client(settings);
    Output serverOut;
    Output clientOut;
    wire::FrameReader serverIn;
    wire::FrameReader clientIn;
    server.start(serverOut);
    client.start(clientOut);
    QByteArray toClient = take(serverOut);
    QByteArray toServer = take(clientOut);
    while (!toClient.isEmpty() || !toServer.isEmpty()) {
        const QByteArray forClient = std::exchange(toClient, QByteArray());
        const QByteArray forServer = std::exchange(toServer, QByteArray());
        clientIn.append(forClient.constData(), forClient.size());
        serverIn.append(forServer.constData(), forServer.size());
        if (!run(client, clientIn, clientOut, &toServer) || !run(server, serverIn, serverOut, &toClient))
            return 0;
    }
    if (!client.sealsInBatches() || !server.sealsInBatches())
        __builtin_trap(); // both offered batches: the harness must reach them

    bool flipNext = false;
    std::size_t at = 0;
    while (at < size) {
        const std::size_t length = data[at++];
        if (length == 0) {
            flipNext = true;
            continue;
        }
        const std::size_t take = std::min(length, size - at);
        Output sealed;
        client.sealStretch(reinterpret_cast<const char *>(data + at), qsizetype(take), sealed);
        at += take;
        QByteArray records = ::take(sealed);
        if (flipNext && records.size() > 8) {
            records[records.size() / 2] = char(records[records.size() / 2] ^ 0x01);
            flipNext = false;
        }
        // Reads of 1 to 16 bytes, or the whole record, as the input says.
        const std::size_t read = at < size ? data[at] % 17 : 0;
        for (qsizetype sent = 0; sent < records.size();) {
            const qsizetype piece = read == 0 ? records.size() : qsizetype(read);
            const QByteArray chunk = records.mid(sent, piece);
            sent += chunk.size();
            serverIn.append(chunk.constData(), chunk.size());
            QByteArray ignored;
            if (!run(server, serverIn, serverOut, &ignored))
                return 0;
        }
    }
    server.endOfStream(serverIn, Error::ConnectionLost, QStringLiteral("end"));
    return 0;
}
