// ZeroMQ over ipc://, what many would pick instead: a DEALER client and a
// ROUTER server, driven from the Qt event loop through ZMQ_FD.
#pragma once

#include "transports.h"

std::unique_ptr<BenchClient> makeZmqClient();
std::unique_ptr<BenchServer> makeZmqServer();
