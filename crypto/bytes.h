// Byte buffers for key material and Noise messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sp::crypto {

using ByteView = std::span<const uint8_t>;
using Bytes = std::vector<uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Overwrites `size` bytes in a way the compiler may not elide (sodium_memzero).
void Wipe(void* data, size_t size);

// Constant-time equality for secrets and keys (sodium_memcmp); sizes must match.
[[nodiscard]] bool ConstantTimeEqual(ByteView a, ByteView b);

// A fixed-size secret that is wiped when it goes out of scope.
template <size_t N>
struct Secret {
  uint8_t bytes[N] = {};
  Secret() = default;
  Secret(const Secret& other) { *this = other; }
  Secret& operator=(const Secret& other) {
    for (size_t i = 0; i < N; ++i) bytes[i] = other.bytes[i];
    return *this;
  }
  ~Secret() { Wipe(bytes, N); }
  uint8_t* data() { return bytes; }
  const uint8_t* data() const { return bytes; }
  static constexpr size_t size() { return N; }
  ByteView view() const { return {bytes, N}; }
};

// Standard base64 with padding (RFC 4648 section 4), as used on the wire.
std::string Base64Encode(ByteView data);
// Appends the encoding to `out` without a temporary (hot path: transport frames).
void Base64EncodeAppend(ByteView data, std::string* out);
// False on any character outside the alphabet, bad padding or trailing garbage.
[[nodiscard]] bool Base64Decode(std::string_view text, Bytes* out);
// Decodes into `out` (capacity `cap`); returns false on bad input or overflow.
[[nodiscard]] bool Base64DecodeInto(std::string_view text, uint8_t* out, size_t cap,
                                    size_t* written);

// Lowercase hex, for test vectors and fingerprints.
std::string HexEncode(ByteView data);
[[nodiscard]] bool HexDecode(std::string_view text, Bytes* out);

}  // namespace sp::crypto
