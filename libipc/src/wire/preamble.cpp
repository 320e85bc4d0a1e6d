#include "preamble.h"

namespace ipc::wire {

QByteArray encodePreamble(Security security)
{
    QByteArray bytes(PreambleSize, Qt::Uninitialized);
    bytes[0] = char(ProtocolVersion);
    bytes[1] = char(security);
    return bytes;
}

QString replyDescription(Reply reply)
{
    switch (reply) {
    case Reply::Ok: return QStringLiteral("ok");
    case Reply::VersionMismatch: return QStringLiteral("the client speaks another protocol version");
    case Reply::EncryptionRequired:
        return QStringLiteral("the client requires encryption and this server offers none");
    case Reply::PreSharedKeyMismatch:
        return QStringLiteral("the client and this server disagree on using a pre-shared key");
    case Reply::UnknownSecurity: return QStringLiteral("the client does not know the offered security mode");
    }
    return QStringLiteral("unknown reply code %1").arg(int(reply));
}

QString unknownVersionReason(const char *preamble)
{
    const auto printable = [](char c) { return uchar(c) >= 0x20 && uchar(c) < 0x7f; };
    const quint8 version = quint8(preamble[0]);
    if (printable(preamble[0]) && printable(preamble[1]))
        return QStringLiteral("the server speaks unknown protocol version %1: its first bytes are text (\"%2\"), "
                              "so it may speak MinIPC's line wire (Protocol::Line, ipcctl --protocol line)")
            .arg(version)
            .arg(QString::fromLatin1(preamble, PreambleSize));
    return QStringLiteral("the server speaks unknown protocol version %1").arg(version);
}

} // namespace ipc::wire
