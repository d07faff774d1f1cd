// One node's /status.json from its workers' documents (server/status_board.h):
// gauges and counters added up, Redis "up" only when every worker's link is
// up, ready when at least one worker is (see docs/DESIGN.md, "Workers"), the
// deepest queues of all workers together, and one row per worker.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sp::server {

struct WorkerStatus {
  int index = 0;
  int pid = 0;         // 0: not running
  nlohmann::json doc;  // its /status.json, null when it did not answer
};

struct NodeStatus {
  std::string node;
  int64_t now_ms = 0;
  int64_t started_ms = 0;
  bool draining = false;  // the supervisor is stopping
  size_t top = 20;        // rows of the deepest-queues table
};

nlohmann::json MergeStatus(const NodeStatus& node, const std::vector<WorkerStatus>& workers);

}  // namespace sp::server
