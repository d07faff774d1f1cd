// Connection-heavy scenarios: idle connections held with heartbeats, and the
// reconnect storm after a server restart.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "bench/bench.h"
#include "bench/client_set.h"
#include "bench/common.h"
#include "crypto/keys.h"

namespace spb {

std::vector<std::string> ExpandSourceIps(const std::string& spec) {
  std::vector<std::string> out;
  if (spec.empty()) return out;
  size_t dash = spec.find('-');
  if (dash != std::string::npos) {
    std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
    size_t dot_a = a.rfind('.'), dot_b = b.rfind('.');
    std::string base = a.substr(0, dot_a + 1);
    int from = std::stoi(a.substr(dot_a + 1)), to = std::stoi(b.substr(dot_b + 1));
    for (int i = from; i <= to; ++i) out.push_back(base + std::to_string(i));
    return out;
  }
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    if (comma > start) out.push_back(spec.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// ---- ClientSet -------------------------------------------------------------------

ClientSet::ClientSet(uv_loop_t* loop, const ClientSetOptions& options)
    : loop_(loop), options_(options) {
  keys_.reserve(options_.clients);
  for (size_t i = 0; i < options_.clients; ++i)
    keys_.push_back(
        std::make_shared<sp::crypto::KeyPair>(BenchKey(options_.prefix, options_.first + i)));
  welcomed_.assign(options_.clients, 0);
}

ClientSet::~ClientSet() {
  Clear();
  if (timer_) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

void ClientSet::Start(EventHandler on_event, std::function<void()> on_all) {
  on_event_ = std::move(on_event);
  on_all_ = std::move(on_all);
  clients_.reserve(options_.clients);
  t_first_ = NowNs();
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<ClientSet*>(t->data)->StartMore(); }, 0, 5);
}

void ClientSet::StartMore() {
  while (started_ < options_.clients && in_progress_ < options_.concurrency) {
    size_t index = started_++;
    ++in_progress_;
    sealpost::ClientOptions co;
    co.server = options_.server;
    // A list "a:p,b:p": client i starts on entry i mod n, so the clients spread
    // evenly over the nodes (the library's default start is a random entry).
    size_t entries = 1 + static_cast<size_t>(std::count(options_.server.begin(),
                                                        options_.server.end(), ','));
    if (entries > 1) co.first_server = static_cast<int>((options_.first + index) % entries);
    co.server_public_key = options_.server_pk;
    co.client_id = ClientId(options_.prefix, options_.first + index);
    co.key = keys_[index];
    if (!options_.source_ips.empty())
      co.bind_host = options_.source_ips[index % options_.source_ips.size()];
    co.connect_timeout_ms = 15000;
    co.backoff_min_ms = 200;
    co.backoff_max_ms = 5000;
    co.dedup_window = 256;
    sealpost::ClientCallbacks cb;
    cb.on_connected = [this, index](const sealpost::Welcome&) { OnConnected(index); };
    if (on_event_) cb.on_event = [this, index](const sealpost::Event& e) { on_event_(index, e); };
    cb.on_error = [this](const sealpost::ClientError& e) {
      ++errors_;
      ++error_codes_[e.code];
      if (first_error_.empty()) first_error_ = e.code + ": " + e.message;
    };
    cb.on_disconnected = [this](const std::string&) {
      ++disconnects_;
      --live_;
    };
    clients_.push_back(std::make_unique<sealpost::Client>(loop_, co, cb));
    std::string error;
    if (!clients_.back()->Start(&error)) {
      std::fprintf(stderr, "sealpost-bench: client %zu: %s\n", index, error.c_str());
      std::exit(2);
    }
  }
  if (started_ == options_.clients && timer_) uv_timer_stop(timer_);
}

void ClientSet::OnConnected(size_t index) {
  ++live_;
  if (welcomed_[index]) return;  // a reconnect
  welcomed_[index] = 1;
  ++connected_;
  --in_progress_;
  t_last_ = NowNs();
  if (connected_ == options_.clients && on_all_) on_all_();
  StartMore();
}

void ClientSet::PauseEvents(bool paused) {
  for (auto& c : clients_) c->PauseEvents(paused);
}

void ClientSet::Clear() {
  clients_.clear();
  live_ = 0;
}

uint64_t ClientSet::Attempts() const {
  uint64_t n = 0;
  for (const auto& c : clients_) n += c->Stats().attempts;
  return n;
}

uint64_t ClientSet::Duplicates() const {
  uint64_t n = 0;
  for (const auto& c : clients_) n += c->Stats().duplicates;
  return n;
}

double ClientSet::RampSeconds() const {
  return t_last_ > t_first_ ? static_cast<double>(t_last_ - t_first_) / 1e9 : 0.0;
}

double ClientSet::HandshakesPerSecond() const {
  double s = RampSeconds();
  return s > 0 ? static_cast<double>(connected_) / s : 0.0;
}

// ---- idle ------------------------------------------------------------------------

namespace {

struct Deadline {
  uv_timer_t timer;
  std::function<void()> fn;
  static void Arm(uv_loop_t* loop, Deadline* d, double seconds, std::function<void()> fn) {
    d->fn = std::move(fn);
    uv_timer_init(loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(
        &d->timer, [](uv_timer_t* t) { static_cast<Deadline*>(t->data)->fn(); },
        static_cast<uint64_t>(seconds * 1000), 0);
  }
};

nlohmann::json SetSummary(const ClientSet& set) {
  nlohmann::json j;
  j["clients"] = set.Size();
  j["connected"] = set.Connected();
  j["live"] = set.Live();
  j["ramp_seconds"] = set.RampSeconds();
  j["handshakes_per_s"] = set.HandshakesPerSecond();
  j["attempts"] = set.Attempts();
  j["errors"] = set.Errors();
  j["disconnects"] = set.Disconnects();
  if (!set.FirstError().empty()) j["first_error"] = set.FirstError();
  return j;
}

}  // namespace

int RunIdle(const IdleOptions& o) {
  uv_loop_t* loop = uv_default_loop();
  auto* set = new ClientSet(loop, o.set);  // lives until exit
  Deadline ramp_deadline, hold_deadline;
  int exit_code = 0;
  auto finish = [&](const char* phase) {
    nlohmann::json j = SetSummary(*set);
    j["bench"] = "idle";
    j["phase"] = phase;
    Emit(j);
    uv_stop(loop);
  };
  set->Start(nullptr, [&] {
    uv_timer_stop(&ramp_deadline.timer);
    nlohmann::json j = SetSummary(*set);
    j["bench"] = "idle";
    j["phase"] = "connected";
    Emit(j);
    Deadline::Arm(loop, &hold_deadline, o.hold, [&] { finish("done"); });
  });
  Deadline::Arm(loop, &ramp_deadline, o.set.connect_timeout, [&] {
    exit_code = 1;
    finish("timeout");
  });
  uv_run(loop, UV_RUN_DEFAULT);
  std::fflush(stdout);
  std::_Exit(exit_code);  // the kernel closes every socket at once
}

// ---- storm -----------------------------------------------------------------------

namespace {

std::string EventsKey(const std::string& prefix, size_t i) {
  return "sp:{" + ClientId(prefix, i) + "}:events";
}

long long SumPending(redisContext* c, const std::string& prefix, size_t first, size_t count) {
  for (size_t i = first; i < first + count; ++i)
    Append(c, {"XPENDING", EventsKey(prefix, i), "sealpost"});
  long long total = 0;
  for (size_t i = 0; i < count; ++i) {
    Reply r = NextReply(c);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        r->element[0]->type == REDIS_REPLY_INTEGER)
      total += r->element[0]->integer;
  }
  return total;
}

void XaddEach(redisContext* c, const std::string& prefix, size_t first, size_t count,
              size_t per_client, const std::string& payload) {
  for (size_t k = 0; k < per_client; ++k) {
    for (size_t i = first; i < first + count; ++i)
      Append(c, {"XADD", EventsKey(prefix, i), "*", "type", "storm", "data", payload});
    for (size_t i = first; i < first + count; ++i) NextReply(c);
  }
}

}  // namespace

int RunStorm(const StormOptions& o) {
  uv_loop_t* loop = uv_default_loop();
  Redis redis = ConnectRedis(o.set.redis);
  const size_t n = o.set.clients;
  const size_t first = o.set.first;
  std::string payload = Payload(64);
  nlohmann::json out;
  out["bench"] = "storm";
  out["clients"] = n;

  // 1. Connect everyone, then leave delivered-but-unacked events with the server.
  auto* before = new ClientSet(loop, o.set);
  Deadline ramp_deadline;
  bool ramp_ok = false;
  before->Start(nullptr, [&] {
    ramp_ok = true;
    uv_timer_stop(&ramp_deadline.timer);
    uv_stop(loop);
  });
  Deadline::Arm(loop, &ramp_deadline, o.set.connect_timeout, [&] { uv_stop(loop); });
  uv_run(loop, UV_RUN_DEFAULT);
  out["initial"] = SetSummary(*before);
  if (!ramp_ok) {
    out["phase"] = "ramp_timeout";
    Emit(out);
    std::_Exit(1);
  }
  before->PauseEvents(true);
  XaddEach(redis.get(), o.set.prefix, first, n, o.pending_unacked, payload);
  long long expected_unacked = static_cast<long long>(n * o.pending_unacked);
  long long pending = 0;
  int64_t wait_until = NowNs() + 30000000000LL;
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  while (NowNs() < wait_until) {
    uv_timer_start(
        &tick, [](uv_timer_t* t) { uv_stop(t->loop); }, 200, 0);
    uv_run(loop, UV_RUN_DEFAULT);
    pending = SumPending(redis.get(), o.set.prefix, first, n);
    if (pending >= expected_unacked) break;
  }
  out["pending_unacked"] = pending;

  // 2. Everyone goes away; more events arrive meanwhile.
  delete before;
  uv_timer_start(
      &tick, [](uv_timer_t* t) { uv_stop(t->loop); }, 500, 0);
  uv_run(loop, UV_RUN_DEFAULT);
  XaddEach(redis.get(), o.set.prefix, first, n, o.pending_new, payload);
  long long expected =
      SumXlen(redis.get(), o.set.prefix, first, n);  // every event still in a stream
  out["pending_total"] = expected;

  // 3. Wait for the restarted server, then everyone reconnects at once.
  if (o.wait_signal) {
    nlohmann::json ready;
    ready["bench"] = "storm";
    ready["phase"] = "ready";
    ready["pid"] = static_cast<long>(getpid());
    Emit(ready);
    uv_signal_t sig;
    uv_signal_init(loop, &sig);
    uv_signal_start(
        &sig, [](uv_signal_t* s, int) { uv_stop(s->loop); }, SIGUSR1);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_signal_stop(&sig);
  }
  ClientSetOptions again = o.set;
  again.concurrency = n;                     // all at once
  auto* after = new ClientSet(loop, again);  // derives the keys: not part of the storm
  int64_t t0 = NowNs();
  std::vector<std::unordered_set<std::string>> seen(n);
  uint64_t unique = 0, duplicates = 0;
  int64_t t_delivered = 0, t_connected = 0;
  auto check_done = [&] {
    if (t_delivered == 0 && static_cast<long long>(unique) >= expected && after->Connected() == n) {
      t_delivered = NowNs();
      uv_stop(loop);
    }
  };
  after->Start(
      [&](size_t index, const sealpost::Event& e) {
        if (seen[index].insert(e.event_id).second)
          ++unique;
        else
          ++duplicates;
        check_done();
      },
      [&] {
        t_connected = NowNs();
        check_done();
      });
  Deadline storm_deadline;
  Deadline::Arm(loop, &storm_deadline, o.timeout, [&] { uv_stop(loop); });
  uv_run(loop, UV_RUN_DEFAULT);
  int64_t t_end = t_delivered ? t_delivered : NowNs();
  // 4. Every ack reaches Redis: the streams empty out.
  int64_t t_acked = 0;
  int64_t ack_deadline = NowNs() + static_cast<int64_t>(o.timeout * 1e9);
  while (t_delivered && NowNs() < ack_deadline) {
    if (SumXlen(redis.get(), o.set.prefix, first, n) == 0) {
      t_acked = NowNs();
      break;
    }
    uv_timer_start(
        &tick, [](uv_timer_t* t) { uv_stop(t->loop); }, 20, 0);
    uv_run(loop, UV_RUN_DEFAULT);
  }
  out["reconnect"] = SetSummary(*after);
  out["phase"] = t_delivered ? "done" : "timeout";
  out["connected_seconds"] = t_connected ? static_cast<double>(t_connected - t0) / 1e9 : -1.0;
  out["storm_seconds"] = static_cast<double>(t_end - t0) / 1e9;
  out["acked_seconds"] = t_acked ? static_cast<double>(t_acked - t0) / 1e9 : -1.0;
  // Undelivered events are still in Redis unless they were lost.
  long long still_stored = t_acked ? 0 : SumXlen(redis.get(), o.set.prefix, first, n);
  long long undelivered = expected - static_cast<long long>(unique);
  out["expected"] = expected;
  out["delivered_unique"] = unique;
  out["duplicates"] = duplicates;
  out["undelivered"] = undelivered;
  out["still_in_redis"] = still_stored;
  out["lost"] = std::max(0LL, undelivered - still_stored);
  Emit(out);
  std::fflush(stdout);
  std::_Exit(t_delivered ? 0 : 1);
}

}  // namespace spb
