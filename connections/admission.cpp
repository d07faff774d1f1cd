#include "connections/admission.h"

namespace sp::connections {

std::string_view Admission::Refusal(const std::string& source, size_t open, uint64_t now) {
  if (open >= bounds_.max_connections) return "too many connections";
  uint32_t rate = bounds_.connect_rate_per_ip;
  if (rate == 0) return {};
  auto [it, inserted] = per_source_.try_emplace(source);
  if (inserted) it->second.Fill(rate, now);
  if (!it->second.Take(rate, now)) return "too many connections from this address";
  return {};
}

bool Admission::TryTakeSlot() {
  if (in_progress_ >= bounds_.max_handshakes) return false;
  ++in_progress_;
  return true;
}

void Admission::ReleaseSlot() {
  if (in_progress_ > 0) --in_progress_;
}

std::optional<uint64_t> Admission::NextWaiting(bool everyone) {
  if (waiting_.empty() || (!everyone && in_progress_ >= bounds_.max_handshakes)) return {};
  uint64_t id = waiting_.front();
  waiting_.pop_front();
  return id;
}

void Admission::Prune(uint64_t now) {
  uint32_t rate = bounds_.connect_rate_per_ip;
  for (auto it = per_source_.begin(); it != per_source_.end();)
    it = it->second.Full(rate, now) ? per_source_.erase(it) : std::next(it);
}

}  // namespace sp::connections
