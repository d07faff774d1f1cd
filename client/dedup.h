// Remembers the last N event ids so a redelivered event is acknowledged
// again but not handed to the application twice. Memory is bounded by N and
// grows only as events arrive, so idle clients cost nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sealpost::internal {

class DedupWindow {
 public:
  explicit DedupWindow(size_t capacity) : capacity_(capacity) {}

  // True the first time `event_id` is seen (and records it); false for a
  // duplicate still inside the window. The oldest id is forgotten when full.
  bool Insert(std::string_view event_id);
  bool Contains(std::string_view event_id) const;
  size_t Size() const { return ring_.size(); }
  size_t Capacity() const { return capacity_; }

 private:
  // Stream ids ("<ms>-<seq>") fit exactly in two integers; anything else is
  // hashed (the server only sends stream ids, so that path is a fallback).
  struct Key {
    uint64_t ms;
    uint64_t seq;
    bool operator==(const Key&) const = default;
  };
  static Key MakeKey(std::string_view event_id);

  size_t capacity_;
  std::vector<Key> ring_;
  size_t next_ = 0;  // slot to overwrite once the ring is full
};

}  // namespace sealpost::internal
