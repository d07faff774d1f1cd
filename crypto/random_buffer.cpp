#include "crypto/random_buffer.h"

#include <sodium.h>
#include <sys/mman.h>

#include <cstring>

namespace sp::crypto {
namespace {

// The pages that MADV_WIPEONFORK zeroes in a child. All-zero must mean
// "nothing to hand out", so the counters count what is left, not what was used.
struct Pool {
  uint64_t refills;
  size_t available;  // the last `available` bytes of `bytes` are unused
  uint8_t bytes[4096 - 2 * sizeof(uint64_t)];
};
static_assert(sizeof(Pool) == 4096);  // one page: one refill every ~100 handshakes

class ThreadBuffer {
 public:
  ThreadBuffer() {
    void* pages =
        mmap(nullptr, sizeof(Pool), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) return;
    if (madvise(pages, sizeof(Pool), MADV_WIPEONFORK) != 0) {
      munmap(pages, sizeof(Pool));  // no fork safety without it: stay unbuffered
      return;
    }
    pool_ = static_cast<Pool*>(pages);  // fresh anonymous pages are zero: empty
  }
  ~ThreadBuffer() {
    if (pool_ == nullptr) return;
    sodium_memzero(pool_, sizeof(Pool));
    munmap(pool_, sizeof(Pool));
  }
  ThreadBuffer(const ThreadBuffer&) = delete;
  ThreadBuffer& operator=(const ThreadBuffer&) = delete;

  void Take(uint8_t* out, size_t n) {
    if (pool_ == nullptr || n > sizeof(pool_->bytes)) {
      randombytes_buf(out, n);
      return;
    }
    while (n > 0) {
      if (pool_->available == 0) Refill();
      size_t chunk = n < pool_->available ? n : pool_->available;
      uint8_t* from = pool_->bytes + sizeof(pool_->bytes) - pool_->available;
      std::memcpy(out, from, chunk);
      sodium_memzero(from, chunk);  // handed out once, then gone
      pool_->available -= chunk;
      out += chunk;
      n -= chunk;
    }
  }

  RandomBufferView View() const {
    if (pool_ == nullptr) return {};
    return {true, pool_->bytes, sizeof(pool_->bytes), pool_->available, pool_->refills};
  }

 private:
  void Refill() {
    randombytes_buf(pool_->bytes, sizeof(pool_->bytes));
    pool_->available = sizeof(pool_->bytes);
    ++pool_->refills;
  }

  Pool* pool_ = nullptr;
};

ThreadBuffer& Buffer() {
  static thread_local ThreadBuffer buffer;
  return buffer;
}

}  // namespace

void RandomBytes(void* out, size_t n) {
  Buffer().Take(static_cast<uint8_t*>(out), n);
}

RandomBufferView RandomBufferForTesting() {
  return Buffer().View();
}

}  // namespace sp::crypto
