// How the monitor and its demo helpers end cleanly, whichever way they are
// told to: the event loop returns, destructors run, and servers remove their
// socket files.
#pragma once

namespace monitor {

// SIGINT, SIGTERM and SIGHUP quit the application's event loop instead of
// killing the process. Call once, after the application object exists.
void quitOnTerminationSignals();

// For a helper the monitor started: quit when its parent goes, however the
// parent ended (quit, a signal, SIGKILL, a lost display). The parent holds
// the write end of this process's standard input; the kernel closes it when
// the parent dies, and end of file here means the parent is gone.
void quitWhenParentEnds();

} // namespace monitor
