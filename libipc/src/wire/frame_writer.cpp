#include "frame_writer.h"

#include <cstring>

namespace ipc::wire {

qsizetype appendMessageFrame(QByteArray &out, qint32 type, const char *data, qsizetype size,
                             int trailerSize)
{
    const qsizetype start = out.size();
    const qsizetype bodySize = TypeSize + size + trailerSize;
    out.resize(start + LengthSize + bodySize);
    char *p = out.data() + start;
    qToBigEndian<quint32>(quint32(bodySize), p);
    qToBigEndian<quint32>(quint32(type), p + LengthSize);
    if (size > 0)
        std::memcpy(p + LengthSize + TypeSize, data, size_t(size));
    return start + LengthSize;
}

void appendFrame(QByteArray &out, const QByteArray &body)
{
    char length[LengthSize];
    qToBigEndian<quint32>(quint32(body.size()), length);
    out.append(length, LengthSize);
    out.append(body);
}

} // namespace ipc::wire
