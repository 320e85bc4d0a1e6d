// The frame reader under hostile lengths and chunking: it never allocates
// for a length over its limit, reports a clear error, and never reads out
// of bounds.
#include "wire/frame_reader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    ipc::wire::FrameReader reader(quint32(data[0]) * 64);
    std::size_t at = 1;
    while (at < size) {
        const std::size_t chunk = std::min<std::size_t>(size - at, 1 + (data[at] & 31));
        reader.append(reinterpret_cast<const char *>(data + at), qsizetype(chunk));
        at += chunk;
        char *body = nullptr;
        qsizetype length = 0;
        for (;;) {
            const auto result = reader.next(&body, &length);
            if (result == ipc::wire::FrameReader::Result::Frame) {
                if (length > 0 && (body[0] == 0x7f || body[length - 1] == 0x7f))
                    continue; // touch both ends of the body
                continue;
            }
            if (result != ipc::wire::FrameReader::Result::NeedMore)
                return 0; // an error, named: nothing more is fed
            break;
        }
    }
    (void)reader.truncationError();
    return 0;
}
