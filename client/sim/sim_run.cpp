// sealpost-sim at run time: one 10 ms tick starts clients, pushes events,
// churns connections and sends client-events; callbacks account deliveries.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "client/sim/sim.h"
#include "services/keys.h"

namespace sealpost::sim {
namespace {

uint64_t NowUs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Takes the whole part of an accumulated rate, keeping the fraction for later.
uint64_t TakeCredit(double* credit, double add, double cap) {
  *credit = std::min(*credit + add, cap);
  auto n = static_cast<uint64_t>(*credit);
  *credit -= static_cast<double>(n);
  return n;
}

}  // namespace

uint32_t Sim::RandomClient() {
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return static_cast<uint32_t>(rng_ % clients_.size());
}

ClientCallbacks Sim::CallbacksFor(uint32_t index) {
  ClientCallbacks cb;
  cb.on_connected = [this, index](const Welcome& w) {
    server_sessions_[w.server]++;
    if (!connected_[index]) connected_count_++;
    connected_[index] = 1;
  };
  cb.on_disconnected = [this, index](const std::string&) {
    if (connected_[index]) connected_count_--;
    connected_[index] = 0;
  };
  cb.on_event = [this, index](const Event& e) { OnEvent(index, e); };
  cb.on_event_ack = [this](const std::string&) { client_events_acked_++; };
  cb.on_error = [this](const ClientError& e) { error_codes_[e.code]++; };
  return cb;
}

void Sim::OnEvent(uint32_t index, const Event& event) {
  EventKey key{index, 0, 0};
  if (!ParseStreamId(event.event_id, &key.ms, &key.seq)) {
    unknown_++;
    return;
  }
  auto it = pushed_.find(key);
  if (it == pushed_.end() && AdoptUncertain(index, event.Get("sim_seq"), key))
    it = pushed_.find(key);
  if (it == pushed_.end()) {
    unknown_++;
    return;
  }
  if (it->second.deliveries++ != 0) {
    duplicates_++;
    return;
  }
  delivered_++;
  window_delivered_++;
  uint64_t now = NowUs();
  uint64_t latency = now > it->second.sent_us ? now - it->second.sent_us : 0;
  auto clamped = static_cast<uint32_t>(std::min<uint64_t>(latency, UINT32_MAX));
  latencies_us_.push_back(clamped);
  window_latencies_.push_back(clamped);
}

void Sim::OnTick() {
  uint64_t now_ms = uv_now(loop_);
  uint64_t now_us = NowUs();
  StartSomeClients();
  if (stage_ == Stage::Connecting) {
    bool all = connected_count_ == clients_.size();
    if (all || now_ms - stage_start_ms_ >= static_cast<uint64_t>(config_.connect_wait_s * 1000)) {
      connect_done_ms_ = now_ms;
      BeginPushing();
    }
  } else if (stage_ == Stage::Pushing) {
    PushDue(now_us);
    Churn();
    SendClientEvents();
    if (now_us - push_start_us_ >= static_cast<uint64_t>(config_.duration_s * 1e6)) BeginDrain();
  } else if (stage_ == Stage::Draining) {
    bool all = delivered_ >= sent_;
    if (all || now_ms - drain_start_ms_ >= static_cast<uint64_t>(config_.drain_s * 1000)) Finish();
  }
  last_tick_us_ = now_us;
  if (stage_ != Stage::Done && now_ms >= next_progress_ms_) {
    if (next_progress_ms_ != 0) Progress();
    next_progress_ms_ = now_ms + 1000;
  }
}

// Connections are opened at a bounded rate: a burst of thousands of SYNs
// would overflow the server's accept backlog and cost 1 s retransmits.
void Sim::StartSomeClients() {
  if (started_clients_ >= clients_.size()) return;
  uint64_t n = TakeCredit(&start_credit_, config_.connect_rate * 0.01, config_.connect_rate);
  for (; n > 0 && started_clients_ < clients_.size(); --n) {
    std::string error;
    if (!clients_[started_clients_]->Start(&error)) {
      std::fprintf(stderr, "client %s: %s\n", ids_[started_clients_].c_str(), error.c_str());
      error_codes_["start_failed"]++;
    }
    started_clients_++;
  }
}

void Sim::PushDue(uint64_t now_us) {
  double dt = static_cast<double>(now_us - last_tick_us_) / 1e6;
  uint64_t n = TakeCredit(&push_credit_, config_.rate * dt, std::max(1.0, config_.rate * 0.1));
  Producer::State link = producer_.Check(uv_now(loop_));
  if (link == Producer::State::Reconnected && !Reconcile()) link = Producer::State::Down;
  if (link == Producer::State::Down) {
    push_skipped_ += n;  // the rate goes on; what falls due now is not sent
    return;
  }
  if (n == 0) return;
  sp::services::Keys keys(config_.common.key_prefix);
  std::vector<uint32_t> targets(n);
  std::string sent_us = std::to_string(now_us);
  uint64_t first_seq = push_seq_;
  for (uint64_t i = 0; i < n; ++i) {
    targets[i] = static_cast<uint32_t>(rr_++ % clients_.size());
    producer_.Redis().Append({"XADD", keys.Events(ids_[targets[i]]), "*", "type", "sim", "data",
                              payload_, "sent_us", sent_us, "sim_seq",
                              std::to_string(push_seq_++)});
  }
  // One WAIT per Redis server the batch went to: it covers every write
  // before it on that connection.
  size_t waits = 0;
  if (config_.wait_replicas > 0)
    waits = producer_.Redis().AppendToEach({"WAIT", std::to_string(config_.wait_replicas), "500"});
  ReadPushReplies(targets, first_seq, now_us, waits);
}

void Sim::Churn() {
  double per_tick = static_cast<double>(clients_.size()) * config_.churn / 100 * 0.01;
  for (uint64_t n = TakeCredit(&churn_credit_, per_tick, 1e9); n > 0; --n) {
    uint32_t i = RandomClient();
    if (!connected_[i]) continue;
    clients_[i]->Reconnect();
    churned_++;
  }
}

void Sim::SendClientEvents() {
  for (uint64_t n = TakeCredit(&client_event_credit_, config_.client_events * 0.01, 1e9); n > 0;
       --n) {
    uint32_t i = RandomClient();
    if (!connected_[i]) continue;
    Client::SendResult r =
        clients_[i]->SendEvent("sim-reply", "hello", {{"sent_us", std::to_string(NowUs())}});
    if (r)
      client_events_sent_++;
    else
      error_codes_["send_refused"]++;
  }
}

void Sim::Progress() {
  auto pct = [this](double p) {
    if (window_latencies_.empty()) return 0.0;
    size_t k = std::min(window_latencies_.size() - 1,
                        static_cast<size_t>(p * static_cast<double>(window_latencies_.size())));
    std::nth_element(window_latencies_.begin(),
                     window_latencies_.begin() + static_cast<std::ptrdiff_t>(k),
                     window_latencies_.end());
    return window_latencies_[k] / 1000.0;
  };
  uint64_t errors = push_errors_;
  for (const auto& [code, n] : error_codes_) errors += n;
  static const char* kStage[] = {"connecting", "pushing", "draining", "done"};
  std::fprintf(stderr,
               "[%6.1fs] %-10s connected=%llu/%zu sent/s=%llu recv/s=%llu inflight=%llu "
               "p50=%.2fms p99=%.2fms errors=%llu\n",
               static_cast<double>(uv_now(loop_) - stage_start_ms_) / 1000,
               kStage[static_cast<int>(stage_)], static_cast<unsigned long long>(connected_count_),
               clients_.size(), static_cast<unsigned long long>(window_sent_),
               static_cast<unsigned long long>(window_delivered_),
               static_cast<unsigned long long>(sent_ - delivered_), pct(0.5), pct(0.99),
               static_cast<unsigned long long>(errors));
  window_latencies_.clear();
  window_sent_ = window_delivered_ = 0;
}

void Sim::BeginPushing() {
  stage_ = Stage::Pushing;
  push_start_us_ = last_tick_us_ = NowUs();
}

void Sim::BeginDrain() {
  if (stage_ == Stage::Draining || stage_ == Stage::Done) {
    Finish();  // a second Ctrl-C: stop waiting
    return;
  }
  if (stage_ == Stage::Connecting) {
    connect_done_ms_ = uv_now(loop_);
    push_start_us_ = NowUs();
  }
  push_end_us_ = NowUs();
  stage_ = Stage::Draining;
  drain_start_ms_ = uv_now(loop_);
}

void Sim::Finish() {
  if (stage_ == Stage::Done) return;
  stage_ = Stage::Done;
  Progress();
  for (const auto& c : clients_) {
    handshake_failures_ += c->Stats().handshake_failures;
    suppressed_ += c->Stats().duplicates;
  }
  clients_.clear();  // each closes its handles; the loop then runs dry
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
}

}  // namespace sealpost::sim
