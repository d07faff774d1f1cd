#include "client/sim/producer.h"

#include <algorithm>
#include <cstdio>

namespace sealpost::sim {
namespace {
constexpr uint64_t kBackoffMinMs = 100;
constexpr uint64_t kBackoffMaxMs = 2000;
// Short, so that a Redis host that does not answer at all (rather than
// refusing) stalls the simulator's loop for little longer than this.
constexpr int kReconnectTimeoutMs = 500;
constexpr int kCommandTimeoutMs = 5000;  // as for the first connection
}  // namespace

bool Producer::Connect(std::string_view url, const std::string& password_file, std::string* error) {
  url_ = url;
  password_file_ = password_file;
  return redis_.Connect(url_, password_file_, error);
}

bool Producer::TryConnect(std::string* error) {
  if (!redis_.Connect(url_, password_file_, error, kReconnectTimeoutMs)) return false;
  redis_.SetTimeout(kCommandTimeoutMs);
  return true;
}

void Producer::LinkFailed(uint64_t now_ms) {
  if (down_) return;
  std::fprintf(stderr, "redis: link lost (%s); reconnecting\n", redis_.Error().c_str());
  down_ = true;
  down_since_ms_ = now_ms;
  backoff_ms_ = kBackoffMinMs;
  next_try_ms_ = now_ms;  // the first attempt right away: the failure may be of this link only
  outages_++;
}

Producer::State Producer::Check(uint64_t now_ms) {
  if (!down_) return State::Up;
  if (now_ms < next_try_ms_) return State::Down;
  std::string error;
  if (!TryConnect(&error)) {
    next_try_ms_ = now_ms + backoff_ms_;
    backoff_ms_ = std::min(kBackoffMaxMs, backoff_ms_ * 2);
    return State::Down;
  }
  down_ = false;
  outage_ms_ += now_ms - down_since_ms_;
  std::fprintf(stderr, "redis: reconnected after %.1f s\n",
               static_cast<double>(now_ms - down_since_ms_) / 1000);
  return State::Reconnected;
}

bool Producer::EnsureConnected(std::string* error) {
  if (!down_ && !redis_.Broken()) return true;
  return TryConnect(error);
}

uint64_t Producer::OutageMs(uint64_t now_ms) const {
  return outage_ms_ + (down_ ? now_ms - down_since_ms_ : 0);
}

}  // namespace sealpost::sim
