#include "services/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <cstdlib>
#include <string>

#include "services/redis_uv_adapter.h"
#include "shared/log.h"
#include "shared/random.h"

namespace sp::services {
namespace {

constexpr uint64_t kMinBackoffMs = 100;
constexpr uint64_t kMaxBackoffMs = 5000;
// A link that stayed up this long starts its next reconnect from the minimum.
constexpr uint64_t kHealthyMs = 5000;
// Command links send PING this often and reconnect when one goes unanswered
// this long: a hung or black-holed Redis must not stall delivery forever.
constexpr uint64_t kWatchdogEveryMs = 2000;
constexpr uint64_t kWatchdogDeadlineMs = 15000;
// SIGTERM must not wait forever for replies from a hung Redis.
constexpr uint64_t kStopDeadlineMs = 2000;

// One pending command: the callback travels through hiredis as privdata.
struct Pending {
  RedisConnection::Callback cb;
};

}  // namespace

RedisConnection::RedisConnection(uv_loop_t* loop, RedisEndpoint endpoint, std::string name)
    : loop_(loop), endpoint_(std::move(endpoint)), name_(std::move(name)) {
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
  uv_timer_init(loop_, &watchdog_timer_);
  watchdog_timer_.data = this;
}

RedisConnection::~RedisConnection() {
  if (ac_) {
    ac_->data = nullptr;
    redisAsyncFree(ac_);
  }
}

void RedisConnection::Start() {
  started_ = true;
  stopping_ = false;
  Connect();
}

void RedisConnection::Stop(std::function<void()> done) {
  stopping_ = true;
  on_stopped_ = std::move(done);
  uv_timer_stop(&retry_timer_);
  uv_timer_stop(&watchdog_timer_);
  if (ac_ && connected_) {
    redisAsyncDisconnect(ac_);  // waits for pending replies; OnDisconnect finishes the stop
    uv_timer_start(
        &retry_timer_,
        [](uv_timer_t* t) {
          auto* self = static_cast<RedisConnection*>(t->data);
          if (self->ac_) redisAsyncFree(self->ac_);  // replies never came: give up on them
        },
        kStopDeadlineMs, 0);
    return;
  }
  if (ac_) {
    // Still connecting: hiredis would free the context without telling us.
    ac_->data = nullptr;
    redisAsyncFree(ac_);
    ac_ = nullptr;
  }
  CloseHandles();
}

void RedisConnection::CloseHandles() {
  up_ = false;
  uv_timer_stop(&retry_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&watchdog_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), [](uv_handle_t* h) {
    auto* self = static_cast<RedisConnection*>(h->data);
    if (self->on_stopped_) self->on_stopped_();
  });
}

void RedisConnection::Connect() {
  ac_ = redisAsyncConnect(endpoint_.host.c_str(), endpoint_.port);
  if (ac_ == nullptr || ac_->err) {
    log::Warn("redis.connect_failed",
              {{"link", name_}, {"error", ac_ ? ac_->errstr : "out of memory"}});
    if (ac_) redisAsyncFree(ac_);
    ac_ = nullptr;
    ScheduleReconnect();
    return;
  }
  ac_->data = this;
  // hiredis frees its read buffer whenever it drains with more than 16 KiB
  // unused, then grows it again for the next batch of replies: under load that
  // is a large malloc/free pair (and a malloc_consolidate) per read. One
  // buffer per link, kept at its high-water mark, is cheaper.
  ac_->c.reader->maxbuf = 0;
  connected_ = false;
  handshake_failed_ = false;
  if (!AttachToLoop(ac_, loop_)) {
    ac_->data = nullptr;
    redisAsyncFree(ac_);
    ac_ = nullptr;
    ScheduleReconnect();
    return;
  }
  redisAsyncSetConnectCallback(ac_, &RedisConnection::OnConnect);
  redisAsyncSetDisconnectCallback(ac_, &RedisConnection::OnDisconnect);
}

void RedisConnection::OnConnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr) return;
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback.
    self->ac_ = nullptr;
    self->LinkLost(ac->errstr);
    return;
  }
  self->connected_ = true;
  // Keepalive notices a peer that vanished without a FIN or RST.
  redisEnableKeepAlive(&self->ac_->c);
  self->Handshake();
}

// AUTH and SELECT go first; the link counts as up only when both succeeded,
// so no caller's command can run against the wrong database. A sentinel
// takes neither; a sentinel-managed link also checks it reached a primary.
void RedisConnection::Handshake() {
  auto fail = [this](const redisReply* r, const char* what) {
    if (r && r->type != REDIS_REPLY_ERROR) return false;
    if (handshake_failed_) return true;  // reported once
    handshake_failed_ = true;
    log::Error("redis.handshake_failed",
               {{"link", name_}, {"step", what}, {"error", r ? r->str : "link lost"}});
    if (ac_) redisAsyncDisconnect(ac_);
    return true;
  };
  auto send = [this](const Argv& argv, Callback cb) {
    auto* p = new Pending{std::move(cb)};
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (auto a : argv) ptrs.push_back(a.data()), lens.push_back(a.size());
    redisAsyncCommandArgv(ac_, &RedisConnection::OnReply, p, static_cast<int>(argv.size()),
                          ptrs.data(), lens.data());
  };
  if (endpoint_.is_sentinel) {
    BecomeUp();
    return;
  }
  if (!endpoint_.password.empty()) {
    Argv argv = {"AUTH"};
    if (!endpoint_.username.empty()) argv.push_back(endpoint_.username);
    argv.push_back(endpoint_.password);
    send(argv, [fail](const redisReply* r) { fail(r, "AUTH"); });
  }
  std::string db = std::to_string(endpoint_.db);
  if (!on_not_primary_) {
    // A failed AUTH already disconnects: SELECT's answer must not revive the link.
    send({"SELECT", db}, [this, fail](const redisReply* r) {
      if (!fail(r, "SELECT") && !handshake_failed_) BecomeUp();
    });
    return;
  }
  send({"SELECT", db}, [fail](const redisReply* r) { fail(r, "SELECT"); });
  send({"ROLE"}, [this, fail](const redisReply* r) {
    if (fail(r, "ROLE") || handshake_failed_) return;
    bool primary = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                   r->element[0]->type == REDIS_REPLY_STRING &&
                   std::string_view(r->element[0]->str, r->element[0]->len) == "master";
    if (primary) {
      BecomeUp();
      return;
    }
    handshake_failed_ = true;
    log::Warn("redis.not_primary", {{"link", name_}, {"url", RedactedUrl(endpoint_)}});
    if (ac_) redisAsyncDisconnect(ac_);
    on_not_primary_();
  });
}

void RedisConnection::Retarget(const RedisAddress& address) {
  if (endpoint_.host == address.host && endpoint_.port == address.port) return;
  endpoint_.host = address.host;
  endpoint_.port = address.port;
  endpoint_.seeds = {address};
  ++retargets_;
  backoff_ms_ = 0;
  log::Info("redis.retarget", {{"link", name_}, {"url", RedactedUrl(endpoint_)}});
  if (ac_ && connected_) {
    redisAsyncDisconnect(ac_);  // pending replies first; OnDisconnect reconnects
  } else if (ac_) {
    ac_->data = nullptr;  // still connecting to the old address
    redisAsyncFree(ac_);
    ac_ = nullptr;
    ScheduleReconnect();
  }
}

RedisLinkStats RedisConnection::Stats() const {
  RedisLinkStats stats;
  stats.failovers = retargets_;
  return stats;
}

void RedisConnection::BecomeUp() {
  up_ = true;
  // Unique across connections, so that a script's record of the connections
  // it was sent on can never match a new connection at a reused address.
  static uint64_t generations = 0;
  generation_ = ++generations;
  up_since_ms_ = uv_now(loop_);
  ping_outstanding_since_ms_ = 0;
  if (subscriptions_.empty()) {
    uv_timer_start(&watchdog_timer_, &RedisConnection::OnWatchdog, kWatchdogEveryMs,
                   kWatchdogEveryMs);
  }
  log::Info(ever_up_ ? "redis.reconnected" : "redis.connected",
            {{"link", name_}, {"url", RedactedUrl(endpoint_)}});
  ever_up_ = true;
  for (auto& sub : subscriptions_) SendSubscribe(sub.get());
  if (on_up_) on_up_();
}

void RedisConnection::OnDisconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr) return;
  self->ac_ = nullptr;  // hiredis frees the context after this callback
  self->connected_ = false;
  if (self->stopping_) {
    self->CloseHandles();
    return;
  }
  self->LinkLost(status == REDIS_OK ? "closed" : ac->errstr);
}

void RedisConnection::LinkLost(const char* why) {
  bool was_up = up_;
  up_ = false;
  uv_timer_stop(&watchdog_timer_);
  // Only a link that stayed healthy earns a fast reconnect: a link that fails
  // right after connecting (refused SUBSCRIBE, bad password) backs off.
  if (was_up && uv_now(loop_) - up_since_ms_ >= kHealthyMs) backoff_ms_ = 0;
  if (was_up || !ever_up_) log::Warn("redis.down", {{"link", name_}, {"error", why}});
  if (was_up && on_down_) on_down_();
  ScheduleReconnect();
}

void RedisConnection::ScheduleReconnect() {
  if (stopping_ || !started_) return;
  backoff_ms_ = backoff_ms_ == 0 ? kMinBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
  // Jitter keeps several nodes from reconnecting in lockstep.
  uint64_t delay = ThreadRng().Between(backoff_ms_ / 2, backoff_ms_);
  uv_timer_start(&retry_timer_, &RedisConnection::OnRetryTimer, delay, 0);
}

void RedisConnection::OnWatchdog(uv_timer_t* timer) {
  auto* self = static_cast<RedisConnection*>(timer->data);
  if (!self->up_ || self->ac_ == nullptr) return;
  uint64_t now = uv_now(self->loop_);
  if (self->ping_outstanding_since_ms_ != 0) {
    if (now - self->ping_outstanding_since_ms_ < kWatchdogDeadlineMs) return;
    log::Warn("redis.unresponsive",
              {{"link", self->name_}, {"waited_ms", now - self->ping_outstanding_since_ms_}});
    redisAsyncFree(self->ac_);  // fails every pending callback, then OnDisconnect reconnects
    return;
  }
  self->ping_outstanding_since_ms_ = now;
  self->Command({"PING"}, [self](const redisReply*) { self->ping_outstanding_since_ms_ = 0; });
}

void RedisConnection::OnRetryTimer(uv_timer_t* timer) {
  auto* self = static_cast<RedisConnection*>(timer->data);
  if (!self->stopping_ && self->ac_ == nullptr) self->Connect();
}

bool RedisConnection::Command(const Argv& argv, Callback cb) {
  if (!up_ || ac_ == nullptr) return false;
  // Small fixed arrays cover almost every command without a heap allocation.
  constexpr size_t kInline = 16;
  const char* ptr_buf[kInline];
  size_t len_buf[kInline];
  std::vector<const char*> ptr_vec;
  std::vector<size_t> len_vec;
  const char** ptrs = ptr_buf;
  size_t* lens = len_buf;
  if (argv.size() > kInline) {
    ptr_vec.resize(argv.size());
    len_vec.resize(argv.size());
    ptrs = ptr_vec.data();
    lens = len_vec.data();
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    ptrs[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  Pending* p = cb ? new Pending{std::move(cb)} : nullptr;
  int rc = redisAsyncCommandArgv(ac_, p ? &RedisConnection::OnReply : nullptr, p,
                                 static_cast<int>(argv.size()), ptrs, lens);
  if (rc != REDIS_OK) {
    delete p;
    return false;
  }
  ++commands_sent_;
  return true;
}

void RedisConnection::OnReply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
  auto* p = static_cast<Pending*>(privdata);
  if (p == nullptr) return;
  p->cb(static_cast<const redisReply*>(reply));
  delete p;
}

void RedisConnection::Subscribe(std::string channel,
                                std::function<void(std::string_view)> on_message,
                                std::function<void()> on_confirmed) {
  auto sub = std::make_unique<Subscription>();
  sub->channel = std::move(channel);
  sub->on_message = [fn = std::move(on_message)](std::string_view, std::string_view message) {
    fn(message);
  };
  sub->on_confirmed = std::move(on_confirmed);
  subscriptions_.push_back(std::move(sub));
  if (up_ && ac_) SendSubscribe(subscriptions_.back().get());
}

void RedisConnection::PSubscribe(
    std::string pattern,
    std::function<void(std::string_view channel, std::string_view message)> on_message,
    std::function<void()> on_confirmed) {
  auto sub = std::make_unique<Subscription>();
  sub->channel = std::move(pattern);
  sub->pattern = true;
  sub->on_message = std::move(on_message);
  sub->on_confirmed = std::move(on_confirmed);
  subscriptions_.push_back(std::move(sub));
  if (up_ && ac_) SendSubscribe(subscriptions_.back().get());
}

void RedisConnection::SendSubscribe(Subscription* sub) {
  const char* verb = sub->pattern ? "PSUBSCRIBE" : "SUBSCRIBE";
  const char* argv[] = {verb, sub->channel.c_str()};
  size_t lens[] = {std::char_traits<char>::length(verb), sub->channel.size()};
  redisAsyncCommandArgv(ac_, &RedisConnection::OnSubscribeReply, sub, 2, argv, lens);
}

// Called for the subscribe confirmation and then for every message:
// ["message", channel, payload] or ["pmessage", pattern, channel, payload].
void RedisConnection::OnSubscribeReply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
  auto* sub = static_cast<Subscription*>(privdata);
  auto* r = static_cast<redisReply*>(reply);
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  for (size_t i = 0; i < r->elements; ++i)
    if (r->element[i]->type != REDIS_REPLY_STRING && r->element[i]->type != REDIS_REPLY_INTEGER)
      return;
  std::string_view what(r->element[0]->str, r->element[0]->len);
  auto text = [r](size_t i) { return std::string_view(r->element[i]->str, r->element[i]->len); };
  if (what == "subscribe" || what == "psubscribe") {
    if (sub->on_confirmed) sub->on_confirmed();
  } else if (what == "message" && r->elements == 3) {
    sub->on_message(text(1), text(2));
  } else if (what == "pmessage" && r->elements == 4) {
    sub->on_message(text(2), text(3));
  }
}

}  // namespace sp::services
