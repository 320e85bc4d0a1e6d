// Writes the two headers of a .rep file: NameSource, the QObject a source
// derives from (properties with storage, signals, pure virtual slots), and
// NameReplica, the ipc::Replica a client acquires (the same signals, the
// properties read-only, the slots returning QFutures).
#pragma once

#include "rep_file.h"

namespace repc {

// `source` is the .rep file's name, for the header's first line.
QString writeSource(const RepFile &file, const QString &source);
QString writeReplica(const RepFile &file, const QString &source);

} // namespace repc
