#include "connections/admission.h"

namespace sp::connections {
namespace {

// A source that has not started a session for this long is new again.
constexpr uint64_t kEstablishedForMs = 24 * 3600 * 1000ull;
// Bound on the memory of established sources (16 bytes and a node each).
constexpr size_t kMaxEstablished = 1 << 20;

}  // namespace

std::string_view Admission::Refusal(uint64_t source, size_t open, uint64_t now) {
  if (open >= bounds_.max_connections) return "too many connections";
  if (source == kUnknownSource) return {};  // the peer is already gone: nothing to count
  auto [it, inserted] = per_source_.try_emplace(source);
  Source& s = it->second;
  if (inserted) s.connects.Fill(bounds_.connect_rate_per_ip, now);
  if (bounds_.max_connections_per_ip != 0 && s.open >= bounds_.max_connections_per_ip)
    return "too many open connections from this address";
  if (!s.connects.Take(bounds_.connect_rate_per_ip, now))
    return "too many connections from this address";
  return {};
}

void Admission::Opened(uint64_t source) {
  if (source != kUnknownSource) per_source_[source].open++;
}

void Admission::Closed(uint64_t source) {
  auto it = per_source_.find(source);
  if (it != per_source_.end() && it->second.open > 0) it->second.open--;
}

void Admission::Established(uint64_t source, uint64_t now) {
  if (established_.size() < kMaxEstablished || IsEstablished(source)) established_[source] = now;
}

bool Admission::TryTakeSlot() {
  if (in_progress_ >= bounds_.max_handshakes || Waiting() > 0) return false;
  ++in_progress_;
  return true;
}

void Admission::ReleaseSlot() {
  if (in_progress_ > 0) --in_progress_;
}

bool Admission::Park(Parked parked) {
  if (parked.source != kUnknownSource) {
    Source& s = per_source_[parked.source];
    uint32_t cap = bounds_.max_waiting_handshakes_per_ip;
    if (cap != 0 && s.waiting >= cap) return false;
    s.waiting++;
  }
  (IsEstablished(parked.source) ? from_established_ : from_new_).push_back(std::move(parked));
  return true;
}

std::optional<Admission::Parked> Admission::NextParked(bool everyone) {
  if (!everyone && in_progress_ >= bounds_.max_handshakes) return {};
  std::deque<Parked>& queue = !from_established_.empty() ? from_established_ : from_new_;
  if (queue.empty()) return {};
  Parked next = std::move(queue.front());
  queue.pop_front();
  auto it = per_source_.find(next.source);
  if (it != per_source_.end() && it->second.waiting > 0) it->second.waiting--;
  return next;
}

void Admission::Prune(uint64_t now) {
  uint32_t rate = bounds_.connect_rate_per_ip;
  for (auto it = per_source_.begin(); it != per_source_.end();) {
    const Source& s = it->second;
    bool idle = s.open == 0 && s.waiting == 0 && s.connects.Full(rate, now);
    it = idle ? per_source_.erase(it) : std::next(it);
  }
  for (auto it = established_.begin(); it != established_.end();)
    it = now - it->second > kEstablishedForMs ? established_.erase(it) : std::next(it);
}

}  // namespace sp::connections
