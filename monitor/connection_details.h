// Everything the monitor knows about one connection, as a page of text:
// its endpoint, the peer and how the system vouches for it, the protocol
// and security with the handshake hash, its traffic, the requests made on
// it and how long they took, and what went wrong on it.
#pragma once

#include "traffic.h"

#include <QString>

namespace monitor {

// HTML for the details pane; an empty string when Traffic has no such connection.
QString connectionDetails(const Traffic &traffic, qint64 pid, quint64 connection);

} // namespace monitor
