// Frames on their way to one socket. They collect during a loop iteration and
// leave together in Flush (once per iteration, from the Hub's check handle),
// so a burst of events costs one write system call. The buffer exists only
// while it holds bytes: an idle connection carries one null pointer.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "connections/buffer_pool.h"

namespace sp::connections {

class Outbox {
 public:
  // Called when a write queued in libuv fails later (not for UV_ECANCELED).
  using OnWriteError = void (*)(uv_stream_t* stream, int status);

  // The buffer to append frames to; `*created` is true when it did not exist
  // (the caller then schedules a flush).
  std::string* Buffer(BufferPool& pool, bool* created);
  bool Empty() const { return !bytes_ || bytes_->empty(); }
  void Discard(BufferPool& pool) { pool.Give(std::move(bytes_)); }

  // Writes what is queued: uv_try_write first (no request, no epoll change),
  // uv_write for what the kernel did not take at once. `*written` gets the
  // number of bytes handed over. False, with the reason to close in `*why`,
  // when libuv's queue already holds more than `max_queue_bytes` (a slow
  // reader) or the socket refused the write.
  // A buffer the kernel took at once goes back to `pool`.
  [[nodiscard]] bool Flush(uv_stream_t* stream, BufferPool& pool, size_t max_queue_bytes,
                           OnWriteError on_error, size_t* written, std::string* why);

 private:
  std::unique_ptr<std::string> bytes_;
};

}  // namespace sp::connections
