#include "crypto/noise/blake2s.h"

#include <algorithm>
#include <cstring>

namespace sp::crypto::noise {

namespace {

constexpr uint32_t kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

constexpr uint8_t kSigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

inline uint32_t Rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

inline uint32_t Load32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

inline void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The mixing function G (RFC 7693 section 3.1) with BLAKE2s rotations 16, 12, 8, 7.
inline void G(uint32_t v[16], int a, int b, int c, int d, uint32_t x, uint32_t y) {
  v[a] = v[a] + v[b] + x;
  v[d] = Rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = Rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = Rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = Rotr(v[b] ^ v[c], 7);
}

}  // namespace

Blake2s::Blake2s() {
  std::memcpy(h_, kIv, sizeof(h_));
  // Parameter block: digest length 32, no key, fanout 1, depth 1.
  h_[0] ^= 0x01010000u ^ static_cast<uint32_t>(kBlake2sOutBytes);
}

Blake2s::~Blake2s() {
  Wipe(h_, sizeof(h_));
  Wipe(buf_, sizeof(buf_));
}

void Blake2s::Compress(const uint8_t block[kBlake2sBlockBytes], bool last) {
  uint32_t m[16];
  uint32_t v[16];
  for (int i = 0; i < 16; ++i) m[i] = Load32(block + 4 * i);
  for (int i = 0; i < 8; ++i) {
    v[i] = h_[i];
    v[i + 8] = kIv[i];
  }
  v[12] ^= static_cast<uint32_t>(counter_);
  v[13] ^= static_cast<uint32_t>(counter_ >> 32);
  if (last) v[14] = ~v[14];
  for (const auto& s : kSigma) {
    G(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
    G(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
    G(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
    G(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
    G(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
    G(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
    G(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
    G(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (int i = 0; i < 8; ++i) h_[i] ^= v[i] ^ v[i + 8];
  Wipe(m, sizeof(m));
  Wipe(v, sizeof(v));
}

void Blake2s::Update(ByteView data) {
  const uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    // The last block must be compressed with the final flag, so a full
    // buffer is only flushed once more input is known to follow.
    if (buf_len_ == kBlake2sBlockBytes) {
      counter_ += kBlake2sBlockBytes;
      Compress(buf_, false);
      buf_len_ = 0;
    }
    const size_t take = std::min(left, kBlake2sBlockBytes - buf_len_);
    std::memcpy(buf_ + buf_len_, p, take);
    buf_len_ += take;
    p += take;
    left -= take;
  }
}

void Blake2s::Final(uint8_t out[kBlake2sOutBytes]) {
  counter_ += buf_len_;
  std::memset(buf_ + buf_len_, 0, kBlake2sBlockBytes - buf_len_);
  Compress(buf_, true);
  for (int i = 0; i < 8; ++i) Store32(out + 4 * i, h_[i]);
}

void Blake2s::Hash(ByteView data, uint8_t out[kBlake2sOutBytes]) {
  Blake2s b;
  b.Update(data);
  b.Final(out);
}

}  // namespace sp::crypto::noise
