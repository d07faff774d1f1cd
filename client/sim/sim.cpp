// sealpost-sim setup and teardown: keys, provisioning, the client objects,
// the summary and the removal of the simulated clients' Redis keys.
#include "client/sim/sim.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "client/server_list.h"
#include "crypto/bytes.h"
#include "services/keys.h"
#include "shared/client_id.h"
#include "shared/messages.h"

namespace sealpost::sim {
namespace {

constexpr size_t kPipelineChunk = 1000;

// Runs `argvs` as pipelined chunks; false with a reason on the first failure.
bool Pipeline(tools::RedisSync& redis, const std::vector<std::vector<std::string>>& argvs,
              std::string* error) {
  for (size_t from = 0; from < argvs.size(); from += kPipelineChunk) {
    size_t to = std::min(argvs.size(), from + kPipelineChunk);
    for (size_t i = from; i < to; ++i) redis.Append(argvs[i]);
    for (size_t i = from; i < to; ++i) {
      tools::Reply r = redis.Next();
      if (tools::IsError(r.get())) {
        *error = "Redis: " + (r ? std::string(tools::Text(r.get())) : redis.Error());
        return false;
      }
    }
  }
  return true;
}

uint64_t Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

Sim::Sim(Config config) : config_(std::move(config)) {
  if (config_.id_prefix.empty()) config_.id_prefix = "sim-" + std::to_string(getpid()) + "-";
}

// Each simulated client holds one socket: allow as many as the hard limit.
static void RaiseFileLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

bool Sim::Prepare(std::string* error) {
  RaiseFileLimit();
  if (!sp::crypto::InitCrypto()) {
    *error = "cannot initialise libsodium";
    return false;
  }
  if (config_.common.server_pk.empty()) {
    *error = "need --server-pk (or SEALPOST_SERVER_PK)";
    return false;
  }
  if (!internal::ServerEntries(config_.common.server, {}, &servers_, error)) return false;
  for (const std::string& server : servers_) server_sessions_[server] = 0;
  keys_.reserve(config_.clients);
  ids_.reserve(config_.clients);
  for (uint64_t i = 0; i < config_.clients; ++i) {
    keys_.push_back(std::make_shared<sp::crypto::KeyPair>(sp::crypto::GenerateKeyPair()));
    ids_.push_back(config_.id_prefix + std::to_string(i));
    if (!sp::proto::IsValidClientId(ids_.back())) {
      *error = "invalid client id '" + ids_.back() + "' (check --id-prefix)";
      return false;
    }
  }
  payload_.assign(config_.payload, 'x');
  return producer_.Connect(config_.common.redis, config_.common.redis_password_file, error) &&
         Provision(error);
}

bool Sim::Provision(std::string* error) {
  sp::services::Keys keys(config_.common.key_prefix);
  std::string now = std::to_string(sp::proto::NowMs());
  std::vector<std::vector<std::string>> argvs;
  argvs.reserve(ids_.size());
  for (size_t i = 0; i < ids_.size(); ++i) {
    argvs.push_back({"HSET", keys.Client(ids_[i]), "pk", sp::crypto::PublicKeyBase64(*keys_[i]),
                     "disabled", "0", "created", now});
  }
  return Pipeline(producer_.Redis(), argvs, error);
}

// 127.0.0.2, 127.0.0.3, ...: the whole 127/8 is local on Linux, and spreading
// the clients over source addresses keeps the server's per-address connect
// limit and the ephemeral port range from throttling a large run.
std::string Sim::SourceIp(uint64_t index) const {
  int n = config_.source_ips;
  if (n < 0) {
    bool loopback = std::all_of(servers_.begin(), servers_.end(),
                                [](const std::string& s) { return s.rfind("127.", 0) == 0; });
    n = loopback ? static_cast<int>(std::min<uint64_t>(250, config_.clients / 100 + 1)) : 0;
  }
  if (n <= 1) return {};
  return "127.0.0." + std::to_string(2 + index % static_cast<uint64_t>(n));
}

void Sim::CreateClients() {
  clients_.reserve(ids_.size());
  connected_.assign(ids_.size(), 0);
  for (size_t i = 0; i < ids_.size(); ++i) {
    ClientOptions o;
    o.servers = servers_;
    // Client i starts at server i mod N: an even spread, where random starts
    // would leave a small run lopsided.
    o.first_server = static_cast<int>(i % servers_.size());
    o.server_public_key = config_.common.server_pk;
    o.protocol = config_.common.protocol;
    o.client_id = ids_[i];
    o.key = keys_[i];
    o.dedup_window = 256;  // memory per client; the server's window is 64
    o.backoff_min_ms = 100;
    o.backoff_max_ms = 5000;
    o.bind_host = SourceIp(i);
    if (config_.split_handshake) o.split_handshake_pieces = 4;
    clients_.push_back(std::make_unique<Client>(loop_, std::move(o), CallbacksFor(i)));
  }
}

void Sim::Cleanup() {
  if (config_.keep) return;
  sp::services::Keys keys(config_.common.key_prefix);
  // The inbound dedupe key lives in its (sharded) stream's slot, not the
  // client's: a command of its own. Servers shard by 16 on a cluster by default.
  sp::services::Keys cluster_keys(config_.common.key_prefix, 16);
  bool cluster = config_.common.redis.rfind("redis+cluster://", 0) == 0;
  std::vector<std::vector<std::string>> argvs;
  for (const std::string& id : ids_) {
    argvs.push_back({"DEL", keys.Events(id), keys.Dead(id), keys.Client(id), keys.Usage(id),
                     keys.Presence(id), keys.Epoch(id)});
    argvs.push_back({"DEL", (cluster ? cluster_keys : keys).InboundSeen(id)});
  }
  std::string error;
  if (!PipelineReconnecting(argvs, &error)) {
    std::fprintf(stderr, "cleanup: %s\n", error.c_str());
    return;
  }
  // The server flushes usage counters of the sessions that just closed a
  // moment later (once a second by default), creating those keys again.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  argvs.clear();
  for (const std::string& id : ids_) argvs.push_back({"DEL", keys.Usage(id), keys.Presence(id)});
  if (!PipelineReconnecting(argvs, &error)) std::fprintf(stderr, "cleanup: %s\n", error.c_str());
}

// The link may have broken late in the run (Redis restarted) and not been
// used since: one more try on a new connection before giving up.
bool Sim::PipelineReconnecting(const std::vector<std::vector<std::string>>& argvs,
                               std::string* error) {
  if (producer_.EnsureConnected(error) && Pipeline(producer_.Redis(), argvs, error)) return true;
  return producer_.Redis().Broken() && producer_.EnsureConnected(error) &&
         Pipeline(producer_.Redis(), argvs, error);
}

void Sim::PrintSummary() {
  uint64_t handshake_failures = handshake_failures_;
  uint64_t suppressed = suppressed_;
  uint64_t errors = push_errors_;
  nlohmann::ordered_json codes = nlohmann::ordered_json::object();
  for (const auto& [code, n] : error_codes_) {
    errors += n;
    codes[code] = n;
  }
  double duration = static_cast<double>(push_end_us_ - push_start_us_) / 1e6;
  nlohmann::ordered_json j;
  j["clients"] = config_.clients;
  j["sent"] = sent_;
  j["delivered"] = delivered_;
  j["duplicates"] = duplicates_;
  j["lost"] = sent_ - delivered_;
  j["latency_us"] = {{"p50", Percentile(latencies_us_, 0.50)},
                     {"p99", Percentile(latencies_us_, 0.99)},
                     {"p999", Percentile(latencies_us_, 0.999)}};
  j["handshake_failures"] = handshake_failures;
  j["errors"] = errors;
  j["duration_s"] = static_cast<double>(static_cast<int64_t>(duration * 1000)) / 1000;
  j["connect_s"] = static_cast<double>(connect_done_ms_ - stage_start_ms_) / 1000;
  j["redeliveries_suppressed"] = suppressed;
  j["client_events"] = {{"sent", client_events_sent_}, {"acked", client_events_acked_}};
  j["churned"] = churned_;
  j["server_sessions"] = server_sessions_;
  j["redis_outages"] = producer_.Outages();
  j["redis_outage_ms"] = producer_.OutageMs(uv_now(loop_));
  j["push_skipped"] = push_skipped_;
  j["push_recovered"] = push_recovered_;
  j["push_unreplicated"] = push_unreplicated_;
  j["push_unconfirmed"] = uncertain_.size();
  j["error_codes"] = codes;
  cli::PrintLine(cli::Dump(j));
  if (sent_ != delivered_) exit_code_ = 1;
}

int Sim::Run() {
  std::string error;
  if (!Prepare(&error)) return cli::Fail(error);
  CreateClients();
  uv_timer_init(loop_, &tick_);
  tick_.data = this;
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;
  uv_signal_start(
      &sigint_, [](uv_signal_t* s, int) { static_cast<Sim*>(s->data)->BeginDrain(); }, SIGINT);
  stage_start_ms_ = uv_now(loop_);
  uv_timer_start(
      &tick_, [](uv_timer_t* t) { static_cast<Sim*>(t->data)->OnTick(); }, 0, 10);
  uv_run(loop_, UV_RUN_DEFAULT);
  PrintSummary();
  Cleanup();
  uv_loop_close(loop_);
  return exit_code_;
}

}  // namespace sealpost::sim
