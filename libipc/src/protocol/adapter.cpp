#include "protocol/adapter.h"

#include "crypto/noise.h"
#include "protocol/golang_v2.h"
#include "protocol/line.h"
#include "protocol/native.h"
#include "wire/frame_writer.h"

#include <QtEndian>

namespace ipc::protocol {

Adapter::~Adapter() = default;

void Adapter::prepareAhead() {}

bool Adapter::writeControl(Output &, const Control &)
{
    return false;
}

bool Adapter::pendingLargeMessage(const wire::FrameReader &, qint32 *, qsizetype *) const
{
    return false;
}

bool plainLargeMessage(const wire::FrameReader &in, qint32 *type, qsizetype *dataSize)
{
    const qint64 length = in.pendingBodyLength();
    if (length - wire::TypeSize < LargeMessage || in.bufferedBodySize() < wire::TypeSize)
        return false;
    *type = qint32(qFromBigEndian<quint32>(in.bufferedBody()));
    if (*type <= 0)
        return false; // the ordinary path reports it once the frame is whole
    *dataSize = qsizetype(length) - wire::TypeSize;
    return true;
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
        if (settings.role == Role::Server)
            return std::make_unique<GolangV2Adapter>(settings);
        return nullptr; // the server's first byte decides
    }
    return nullptr;
}

// A native server's preamble starts with version 3; golang-ipc's with 2.
// Each adapter answers a version it does not speak with a clear mismatch.
std::unique_ptr<Adapter> adapterForGreeting(quint8 firstByte, const Settings &settings)
{
    return AdapterMaker(settings).makeForGreeting(firstByte);
}

AdapterMaker::AdapterMaker(const Settings &settings)
    : m_settings(settings)
{
}

AdapterMaker::~AdapterMaker() = default;

std::unique_ptr<Adapter> AdapterMaker::makeAtStart() const
{
    return createAdapter(m_settings);
}

std::unique_ptr<Adapter> AdapterMaker::makeForGreeting(quint8 firstByte)
{
    if (firstByte == GolangV2Adapter::Version || m_settings.protocol == Protocol::GolangIpcV2)
        return std::make_unique<GolangV2Adapter>(m_settings); // the key, if any, goes unused
    return std::make_unique<NativeAdapter>(m_settings, std::move(m_ephemeralKey));
}

void AdapterMaker::forget()
{
    m_ephemeralKey.reset();
}

// An encrypted handshake's ephemeral key costs about as much as a key
// agreement: made while the server accepts the connection, it adds nothing
// to the connection's time. (The thread's spare is left to servers, which
// need theirs before their first byte.)
void AdapterMaker::prepareAhead()
{
    if (m_settings.protocol == Protocol::Native && m_settings.encryption && !m_ephemeralKey)
        m_ephemeralKey = crypto::EphemeralKey::generate();
}

Adapter::WriteResult Adapter::writeDetachedMessage(qint32, const QByteArray &, Output &, const DataSink &)
{
    return WriteResult::Refused;
}

// A wire without batches holds nothing; were it to, the bytes go as they are.
bool Adapter::seal(Output &out)
{
    out.append(m_unsealed.data(), m_unsealed.size());
    m_unsealed.clear();
    return true;
}

bool Adapter::sealNextPiece(Output &)
{
    return false; // never asked: only a wire that seals in pieces says sealsMore()
}

bool Adapter::openDetached(char *, qsizetype)
{
    m_detachedSize = -1;
    return true;
}

} // namespace ipc::protocol
