#include "frame_writer.h"

#include <cstring>

namespace ipc::wire {

qsizetype appendMessageFrame(QByteArray &out, qint32 type, const char *data, qsizetype size,
                             int trailerSize)
{
    const qsizetype start = out.size();
    out.resize(start + LengthSize + TypeSize + size + trailerSize);
    writeMessageFrame(out.data() + start, type, data, size, trailerSize);
    return start + LengthSize;
}

char *writeMessageFrame(char *out, qint32 type, const char *data, qsizetype size, int trailerSize)
{
    qToBigEndian<quint32>(quint32(TypeSize + size + trailerSize), out);
    qToBigEndian<quint32>(quint32(type), out + LengthSize);
    if (size > 0)
        std::memcpy(out + LengthSize + TypeSize, data, size_t(size));
    return out + LengthSize;
}

void appendFrame(QByteArray &out, const QByteArray &body)
{
    char length[LengthSize];
    qToBigEndian<quint32>(quint32(body.size()), length);
    out.append(length, LengthSize);
    out.append(body);
}

} // namespace ipc::wire
