// BLAKE2s-256 (RFC 7693), unkeyed. libsodium only ships BLAKE2b, and Noise
// names BLAKE2s as one of its four hash functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "crypto/bytes.h"

namespace sp::crypto::noise {

constexpr size_t kBlake2sOutBytes = 32;
constexpr size_t kBlake2sBlockBytes = 64;

class Blake2s {
 public:
  Blake2s();
  ~Blake2s();
  Blake2s(const Blake2s&) = delete;
  Blake2s& operator=(const Blake2s&) = delete;

  void Update(ByteView data);
  // Writes 32 bytes. The object must not be updated afterwards.
  void Final(uint8_t out[kBlake2sOutBytes]);

  // One-shot convenience.
  static void Hash(ByteView data, uint8_t out[kBlake2sOutBytes]);

 private:
  void Compress(const uint8_t block[kBlake2sBlockBytes], bool last);

  uint32_t h_[8];
  uint64_t counter_ = 0;  // bytes compressed so far (the RFC's t0/t1)
  uint8_t buf_[kBlake2sBlockBytes] = {};
  size_t buf_len_ = 0;
};

}  // namespace sp::crypto::noise
