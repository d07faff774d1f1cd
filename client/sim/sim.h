// sealpost-sim: thousands of clients on one libuv loop against a real server
// and Redis, with exact per-event accounting (sent, delivered, duplicates,
// lost) and end-to-end latency from the push into Redis to the client.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "client/cli/common.h"
#include "client/redis_sync.h"
#include "client/sealpost_client.h"
#include "client/sim/producer.h"

namespace sealpost::sim {

using internal_rng_state_t = uint64_t;

struct Config {
  cli::CommonFlags common;
  uint64_t clients = 100;
  double duration_s = 10;
  double rate = 100;         // events pushed per second, over all clients
  uint64_t payload = 64;     // bytes of data per event
  double churn = 0;          // % of clients dropped and reconnected per second
  double client_events = 1;  // client-events sent per second, over all clients
  bool split_handshake = false;
  std::string id_prefix;       // default "sim-<pid>-"
  bool keep = false;           // leave the clients' Redis keys behind
  double drain_s = 30;         // bound on waiting for the last deliveries
  double connect_wait_s = 60;  // bound on waiting for every client to connect
  double connect_rate = 1000;  // new connections started per second
  int source_ips = -1;         // bind to 127.0.0.2.. (-1: automatic on loopback)
  // After each push, WAIT for this many replicas: a push they did not all
  // confirm may be lost by a failover, and is not counted lost (0: no WAIT).
  int wait_replicas = 0;
};

// One pushed event, keyed by client and stream id (ids repeat across streams).
struct EventKey {
  uint32_t client;
  uint64_t ms;
  uint64_t seq;
  bool operator==(const EventKey&) const = default;
};
struct EventKeyHash {
  size_t operator()(const EventKey& k) const {
    return std::hash<uint64_t>{}(k.ms * 1000003u + k.seq * 7919u + k.client);
  }
};

// "1700000000000-3" into its two numbers.
bool ParseStreamId(std::string_view id, uint64_t* ms, uint64_t* seq);

class Sim {
 public:
  explicit Sim(Config config);
  int Run();

 private:
  // Setup and teardown (sim.cpp)
  bool Prepare(std::string* error);
  bool Provision(std::string* error);
  void CreateClients();
  void Cleanup();
  bool PipelineReconnecting(const std::vector<std::vector<std::string>>& argvs, std::string* error);
  void PrintSummary();
  std::string SourceIp(uint64_t index) const;

  // The run (sim_run.cpp)
  ClientCallbacks CallbacksFor(uint32_t index);
  void OnEvent(uint32_t index, const Event& event);
  void OnTick();
  void StartSomeClients();
  void PushDue(uint64_t now_us);
  void ReadPushReplies(const std::vector<uint32_t>& targets, uint64_t first_seq, uint64_t now_us,
                       size_t waits);
  // Pushes whose reply a broken link took away (sim_push.cpp)
  bool Reconcile();
  bool AdoptUncertain(uint32_t target, std::string_view sim_seq, const EventKey& key);
  void Churn();
  void SendClientEvents();
  void Progress();
  void BeginPushing();
  void BeginDrain();
  void Finish();
  uint32_t RandomClient();

  Config config_;
  uv_loop_t* loop_ = uv_default_loop();
  uv_timer_t tick_;
  uv_signal_t sigint_;
  Producer producer_;
  std::vector<std::shared_ptr<const sp::crypto::KeyPair>> keys_;
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<uint8_t> connected_;
  uint64_t connected_count_ = 0;
  uint64_t started_clients_ = 0;
  std::string payload_;

  enum class Stage { Connecting, Pushing, Draining, Done } stage_ = Stage::Connecting;
  uint64_t stage_start_ms_ = 0;
  uint64_t push_start_us_ = 0;
  uint64_t push_end_us_ = 0;
  uint64_t connect_done_ms_ = 0;
  double push_credit_ = 0;
  double churn_credit_ = 0;
  double client_event_credit_ = 0;
  uint64_t last_tick_us_ = 0;
  uint64_t next_progress_ms_ = 0;
  uint64_t rr_ = 0;  // round robin over clients for pushes

  struct Pushed {
    uint64_t sent_us = 0;
    uint32_t deliveries = 0;
  };
  std::unordered_map<EventKey, Pushed, EventKeyHash> pushed_;
  // An XADD sent when the link broke may or may not be stored. Each event
  // carries a `sim_seq` field; these are found again in the stream after
  // the reconnect, or when they are delivered, and only then count as sent.
  struct Uncertain {
    uint32_t target = 0;
    uint64_t sent_us = 0;
    bool searched = false;  // not in the stream right after the reconnect
  };
  std::unordered_map<uint64_t, Uncertain> uncertain_;  // by sim_seq
  uint64_t push_seq_ = 0;
  uint64_t push_skipped_ = 0;       // due while Redis was unreachable: never sent
  uint64_t push_recovered_ = 0;     // uncertain pushes found stored after all
  uint64_t push_unreplicated_ = 0;  // stored, but fewer replicas than --wait-replicas confirmed
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t unknown_ = 0;
  uint64_t push_errors_ = 0;
  uint64_t client_events_sent_ = 0;
  uint64_t client_events_acked_ = 0;
  uint64_t churned_ = 0;
  uint64_t handshake_failures_ = 0;  // summed from the clients when they close
  uint64_t suppressed_ = 0;          // duplicates the client library dropped
  uint64_t drain_start_ms_ = 0;
  double start_credit_ = 0;
  internal_rng_state_t rng_ = 0x9e3779b97f4a7c15ull;
  std::map<std::string, uint64_t> error_codes_;
  std::vector<std::string> servers_;                 // --server split into its entries
  std::map<std::string, uint64_t> server_sessions_;  // sessions welcomed, per server
  std::vector<uint32_t> latencies_us_;               // every delivery, for the summary
  std::vector<uint32_t> window_latencies_;           // this second's, for the progress line
  uint64_t window_sent_ = 0;
  uint64_t window_delivered_ = 0;
  int exit_code_ = 0;
};

}  // namespace sealpost::sim
