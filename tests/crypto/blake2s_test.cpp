#include "crypto/noise/blake2s.h"

#include <doctest/doctest.h>

#include "crypto/noise/suite.h"
#include "test_util.h"

namespace sp::crypto::noise {
namespace {

using test::Hex;
using test::ToHex;

std::string Blake2sHex(ByteView data) {
  uint8_t out[kBlake2sOutBytes];
  Blake2s::Hash(data, out);
  return ToHex({out, sizeof(out)});
}

Bytes Pattern(size_t n) {
  Bytes data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  return data;
}

TEST_CASE("BLAKE2s-256 matches the RFC 7693 Appendix B vector for \"abc\"") {
  CHECK(Blake2sHex(AsBytes("abc")) ==
        "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

TEST_CASE("BLAKE2s-256 handles inputs around the 64-byte block boundary") {
  // Reference digests from an independent BLAKE2s implementation.
  const struct {
    size_t len;
    const char* digest;
  } cases[] = {
      {0, "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"},
      {1, "a28ac19d6bcbe2cd1d7de183485768d598e996b07889b9b11f418cb1b4a4fb0d"},
      {63, "de27df0e375d83c49f1af9ca8270f9f2fe7b70bf800fc01672db0e9746021ebf"},
      {64, "5377e4ff957bda4d4535f4879876b71a61056c4cec31e78397c66ec47a86a130"},
      {65, "19b1b26fba093f4a670d8913e1b71cbb2916dfa701018cc6b05785c966593374"},
      {128, "83470c75afa23d90cd7659906e4b47daa278131fbb225241dd37a40fd5355ac7"},
      {129, "26fd8892ab0a5f12d4acbff1efd7dcd92b99e2d377f888f07e3cb81b232b11cf"},
      {1000, "02a016193469710efadf8fb005ca19b509331cb847df5598cc0794bded669681"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.len);
    CHECK(Blake2sHex(Pattern(c.len)) == c.digest);
  }
}

TEST_CASE("BLAKE2s-256 gives the same digest however the input is split") {
  const Bytes data = Pattern(1000);
  for (size_t chunk : {1u, 7u, 63u, 64u, 65u, 500u}) {
    CAPTURE(chunk);
    Blake2s hasher;
    for (size_t off = 0; off < data.size(); off += chunk) {
      hasher.Update(ByteView(data).subspan(off, std::min(chunk, data.size() - off)));
    }
    uint8_t out[kBlake2sOutBytes];
    hasher.Final(out);
    CHECK(ToHex({out, sizeof(out)}) == Blake2sHex(data));
  }
}

TEST_CASE("HMAC over each Noise hash matches RFC 2104 reference values") {
  const Bytes key = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  uint8_t out[kMaxHashLen];
  Hmac(HashKind::Blake2s, key, AsBytes("noise"), out);
  CHECK(ToHex({out, 32}) == "5e7d00b579e32373a64507b6266bf347a6d09728deeef2d2e64aac60955d71e7");
  Hmac(HashKind::Blake2b, key, AsBytes("noise"), out);
  CHECK(ToHex({out, 64}) ==
        "b25efb20246c498a3d9e56776bb71f08db4145bc19420d67f08004f19c18808265f91806c2705c87c749fd"
        "d1ab7076c172044904a6d195313360a1234fc6d5ae");
  Hmac(HashKind::Sha512, key, AsBytes("noise"), out);
  CHECK(ToHex({out, 64}) ==
        "c91f46a8c58ba4830ed3da4e75eefb36aa845044153d1eed6ff2b8f78eb160a989aaa3be2af132e01c4c02"
        "6831ab05f4ec850af52c0d9517f8f1732e7d51b64b");
  // RFC 4231 test case 1.
  Hmac(HashKind::Sha256, Bytes(20, 0x0b), AsBytes("Hi There"), out);
  CHECK(ToHex({out, 32}) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_CASE("HKDF produces the chained outputs of Noise section 4.3") {
  const Bytes ck(32, 0);
  uint8_t o1[32], o2[32], o3[32];
  Hkdf(HashKind::Blake2s, ck, AsBytes("ikm"), o1, o2, o3);
  CHECK(ToHex(o1) == "1e6a28f02837dd76d9cf5f4ab937b7a7125617309478950021410d018e1a0467");
  CHECK(ToHex(o2) == "cb09ea6bbb223bfa4f66d65af122a5848072e951dcd243c0814ea6f446c2396b");
  CHECK(ToHex(o3) == "833bb4c545a700fb0a17e6d437fb55d701a7de916dc39fd6a535782be45db744");
  uint8_t t1[32], t2[32];
  Hkdf(HashKind::Blake2s, ck, AsBytes("ikm"), t1, t2, nullptr);
  CHECK(ToHex(t1) == ToHex(o1));
  CHECK(ToHex(t2) == ToHex(o2));
}

}  // namespace
}  // namespace sp::crypto::noise
