#include "client/dedup.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <string>

namespace sealpost::internal {

DedupWindow::Key DedupWindow::MakeKey(std::string_view id) {
  Key key{0, 0};
  size_t dash = id.find('-');
  if (dash != std::string_view::npos) {
    const char* end = id.data() + id.size();
    auto a = std::from_chars(id.data(), id.data() + dash, key.ms);
    auto b = std::from_chars(id.data() + dash + 1, end, key.seq);
    // Sequence numbers never reach 2^64-1, so that value marks hashed ids.
    if (a.ec == std::errc() && a.ptr == id.data() + dash && b.ec == std::errc() && b.ptr == end &&
        key.seq != UINT64_MAX) {
      return key;
    }
  }
  return Key{std::hash<std::string_view>{}(id), UINT64_MAX};
}

// A linear scan: windows are a few hundred to a few thousand 16-byte keys,
// cheaper to scan than a hash set is to keep per client.
bool DedupWindow::Contains(std::string_view event_id) const {
  Key key = MakeKey(event_id);
  return std::find(ring_.begin(), ring_.end(), key) != ring_.end();
}

bool DedupWindow::Insert(std::string_view event_id) {
  if (capacity_ == 0) return true;
  Key key = MakeKey(event_id);
  if (std::find(ring_.begin(), ring_.end(), key) != ring_.end()) return false;
  if (ring_.size() < capacity_) {
    ring_.push_back(key);
    return true;
  }
  ring_[next_] = key;
  next_ = (next_ + 1) % capacity_;
  return true;
}

}  // namespace sealpost::internal
