// Output buffers for the loop's connections, reused instead of allocated per
// loop iteration: a connection's outbox takes one when it has something to
// send and gives it back once the kernel took the bytes. Only buffers of a
// modest size are kept, and only so many, so a burst does not pin memory.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace sp::connections {

class BufferPool {
 public:
  static constexpr size_t kMaxKept = 128;
  static constexpr size_t kMaxKeptCapacity = 32 * 1024;  // at most 4 MiB kept

  std::unique_ptr<std::string> Take() {
    if (free_.empty()) return std::make_unique<std::string>();
    std::unique_ptr<std::string> buffer = std::move(free_.back());
    free_.pop_back();
    return buffer;
  }
  void Give(std::unique_ptr<std::string> buffer) {
    if (!buffer || free_.size() >= kMaxKept || buffer->capacity() > kMaxKeptCapacity) return;
    buffer->clear();
    free_.push_back(std::move(buffer));
  }
  size_t Kept() const { return free_.size(); }

 private:
  std::vector<std::unique_ptr<std::string>> free_;
};

}  // namespace sp::connections
