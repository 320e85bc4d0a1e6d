// The address parser with any text: valid or a clear error, never a crash.
#include "address.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const ipc::Address address = ipc::Address::parse(QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (address.isValid())
        (void)address.toString();
    else if (address.error.isEmpty())
        __builtin_trap(); // an invalid address must say why
    return 0;
}
