// Builds outgoing frames: length (4, big-endian) then body. A message body is
// type (4, big-endian two's complement) then data.
#pragma once

#include <QByteArray>
#include <QtEndian>

namespace ipc::wire {

constexpr int LengthSize = 4;
constexpr int TypeSize = 4;

// Appends one message frame to out, leaving trailerSize spare bytes after the
// data (room for an AEAD tag, counted in the length). Returns the offset of
// the body (type + data) in out, where a cipher can seal it in place.
qsizetype appendMessageFrame(QByteArray &out, qint32 type, const char *data, qsizetype size,
                             int trailerSize = 0);

// Writes the same frame into memory at out (room for LengthSize + TypeSize
// + size + trailerSize bytes). Returns where the body (type + data) starts.
char *writeMessageFrame(char *out, qint32 type, const char *data, qsizetype size, int trailerSize = 0);

// Appends a frame whose body is given whole (handshake messages).
void appendFrame(QByteArray &out, const QByteArray &body);

} // namespace ipc::wire
