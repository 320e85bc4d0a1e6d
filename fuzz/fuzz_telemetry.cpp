// The telemetry event decoder (what a collector reads from any process).
#include <ipc/telemetry.h>

#include <QCborArray>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QCborMap event = ipc::telemetry::decodeEvent(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    for (auto it = event.constBegin(); it != event.constEnd(); ++it) {
        const QCborValue value = it.value();
        if (value.isArray()) {
            for (const QCborValue &row : value.toArray())
                (void)row.toArray().size();
        }
    }
    return 0;
}
