// Random bytes for keys and ids, drawn from libsodium's CSPRNG in bulk.
//
// libsodium's randombytes_buf() makes one getrandom(2) system call per call:
// two per handshake (the ephemeral key, the session id). RandomBytes() hands
// out bytes of a 4 KiB buffer filled by one randombytes_buf() call instead,
// so the output is libsodium's CSPRNG output, only fetched ahead of time.
//
// - Every byte is handed out once: it is wiped (sodium_memzero) in the buffer
//   as it is taken, so no later caller and no memory dump after the fact
//   finds it there.
// - One buffer per thread (thread_local), so no lock: the server runs one
//   event loop on one thread, which makes it one buffer per process there.
// - Fork: the buffer lives in pages marked MADV_WIPEONFORK, so the kernel
//   hands a forked child zeros, which read as "empty": the child refills from
//   its own getrandom() and never repeats the parent's bytes. This holds for
//   every kind of fork (fork(), _Fork(), clone without CLONE_VM) and costs
//   nothing per draw; a getpid() check would be a system call per draw (glibc
//   no longer caches the pid), which is what this file exists to avoid. When
//   the pages or the advice are not available, every call goes straight to
//   randombytes_buf(), unbuffered.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sp::crypto {

// Fills `out` with `n` bytes of libsodium's CSPRNG (see above).
void RandomBytes(void* out, size_t n);

// For tests: the calling thread's buffer.
struct RandomBufferView {
  bool buffered = false;  // false: the unbuffered fallback is in use
  const uint8_t* bytes = nullptr;
  size_t size = 0;       // the buffer's capacity
  size_t available = 0;  // bytes not handed out yet (the tail of the buffer)
  uint64_t refills = 0;  // getrandom() fills so far (reset to 0 by a fork)
};
RandomBufferView RandomBufferForTesting();

}  // namespace sp::crypto
