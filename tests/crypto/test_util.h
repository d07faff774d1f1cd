// Small helpers shared by the crypto tests.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/keys.h"

namespace sp::crypto::test {

inline Bytes Hex(std::string_view hex) {
  Bytes out;
  REQUIRE(HexDecode(hex, &out));
  return out;
}

inline std::string ToHex(ByteView data) {
  return HexEncode(data);
}

inline Bytes BytesOf(std::string_view s) {
  const ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}

// Libsodium must be initialised before the tests touch randomness.
struct CryptoInit {
  CryptoInit() { REQUIRE(InitCrypto()); }
};

}  // namespace sp::crypto::test
