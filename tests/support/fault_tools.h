// Helpers for the fault-injection tests (tests/integration/fault_test.cpp):
// a sealpost-sim run, a `sealpost listen` process that can be stopped, the
// resident memory of a process, and moments spread over a run.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/process.h"
#include "tests/support/server_env.h"
#include "tests/support/temp_dir.h"

namespace sp::testkit {

// Arguments for sealpost-sim against `servers` ("host:port[,host:port...]",
// pinned to `server_pk`) and the Redis at `redis_url`, with `extra` after.
std::vector<std::string> SimArgs(const std::string& servers, const std::string& server_pk,
                                 const std::string& redis_url, int clients, double duration_s,
                                 double rate, const std::vector<std::string>& extra = {});
// The same against `server` and `redis`.
std::vector<std::string> SimArgs(Redis& redis, Server& server, int clients, double duration_s,
                                 double rate, const std::vector<std::string>& extra = {});
inline std::vector<std::string> SimArgs(ServerEnv& env, int clients, double duration_s, double rate,
                                        const std::vector<std::string>& extra = {}) {
  return SimArgs(env.redis, env.server, clients, duration_s, rate, extra);
}

// `count` moments (seconds) in [from, to], sorted, at least `gap` apart,
// placed at random by `seed`.
std::vector<double> SpreadMoments(int count, double from, double to, double gap, unsigned seed);

long RssKb(pid_t pid);  // VmRSS from /proc/PID/status, 0 if gone
std::string Tail(const std::string& text, size_t bytes);

// `sealpost listen` for a client provisioned here with a fresh key. It acks
// every event and prints one JSON line per event; `prefix` runs it through
// another command (e.g. `ip netns exec NAME`).
struct ListenClient {
  ListenClient(Redis& redis, Server& server, const std::string& id, const TempDir& dir,
               const std::vector<std::string>& prefix = {});
  ListenClient(ServerEnv& env, const std::string& id, const TempDir& dir)
      : ListenClient(env.redis, env.server, id, dir) {}
  // Distinct eventIds printed so far (a redelivery is counted once).
  size_t DistinctEvents() const;
  Process proc;
};

}  // namespace sp::testkit
