// --workers N (N > 1): this process serves no client. It starts N workers,
// each a fresh exec of this binary with the same arguments, which share the
// --listen port through SO_REUSEPORT; restarts any that dies (backoff 100 ms
// doubling to 5 s, back to 100 ms after a run of 30 s); answers the operator
// endpoint for the whole node (server/node_routes.h); and on SIGTERM or
// SIGINT passes SIGTERM to every worker, waits for their drains and exits 0.
#pragma once

#include "server/config.h"

namespace sp::server {

// Returns the process exit code: 0 after a stop by signal, a worker's exit
// code (or 1) when a worker could not start.
int RunSupervisor(const Config& config, int argc, char** argv);

}  // namespace sp::server
