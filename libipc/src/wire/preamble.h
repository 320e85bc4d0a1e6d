// The first bytes of a native connection. The server speaks first with
// [version, security]; the client answers with one reply byte. Version 3
// tells a native server apart from golang-ipc's version 2 by its first byte.
#pragma once

#include <QByteArray>
#include <QString>

namespace ipc::wire {

constexpr quint8 ProtocolVersion = 3;
constexpr int PreambleSize = 2;

enum class Security : quint8 {
    Plain = 0,
    NoiseNN = 1,     // Noise_NN_25519_AESGCM_SHA256
    NoiseNNpsk0 = 2, // Noise_NNpsk0_25519_AESGCM_SHA256
    AccessDenied = 0xFE, // the server accepts only its own user's processes and closes the connection
    ServerFull = 0xFF, // the server is at maxClients and closes the connection
};

enum class Reply : quint8 {
    Ok = 0,
    VersionMismatch = 1,
    EncryptionRequired = 2,
    PreSharedKeyMismatch = 3,
    UnknownSecurity = 4,
};

QByteArray encodePreamble(Security security);
QString replyDescription(Reply reply);
// Why a server's first two bytes are no version this client knows. Bytes
// that read as text are most likely MinIPC's line wire, and the reason says so.
QString unknownVersionReason(const char *preamble);

} // namespace ipc::wire
