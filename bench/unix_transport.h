// The practical limit on this machine: a connected AF_UNIX stream socket
// driven with plain system calls (blocking writes, reads straight into one
// reused buffer), with the same 4-byte-length framing as the raw rows. Only
// the wake-ups for replies come from the Qt event loop.
#pragma once

#include "transports.h"

std::unique_ptr<BenchClient> makeUnixClient();
std::unique_ptr<BenchServer> makeUnixServer();
