// The status page's data: the node's gauges and counters now, and the clients
// of this node with the deepest queues. Counters are totals; the page turns
// them into rates between polls. The queue survey asks Redis, so it runs in
// the background, at most once per refresh interval and only while someone
// polls: a page left closed costs nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "connections/hub.h"
#include "services/services.h"

namespace sp::server {

struct StatusSettings {
  size_t sample_clients = 10000;  // sessions surveyed for queue depth per refresh
  size_t top = 20;                // rows in the deepest-queues table
  uint64_t refresh_ms = 2000;     // survey at most this often
};

class StatusBoard {
 public:
  StatusBoard(connections::Hub& hub, services::Services& services, std::string node,
              StatusSettings settings);

  // Why the node should not get traffic now ("redis down", "draining"), or
  // empty when it is ready.
  std::string NotReadyReason() const;
  // The JSON document /status.json serves; starts a queue survey when the
  // last one is older than the refresh interval.
  std::string Json();

 private:
  void SurveyQueues();

  connections::Hub& hub_;
  services::Services& services_;
  std::string node_;
  StatusSettings settings_;
  int64_t started_ms_;
  std::vector<services::QueueDepth> top_;
  int64_t top_at_ms_ = 0;
  size_t top_sampled_ = 0;
  bool surveying_ = false;
};

}  // namespace sp::server
