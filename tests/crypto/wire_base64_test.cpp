// The frames' fast base64 (shared/base64.h) against libsodium's, which keys
// and secrets use (crypto/bytes.h): the same text for the same bytes, and the
// same verdict and bytes for any text, valid or not. A difference would let a
// frame through one codec that the other refuses.
#include "shared/base64.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "crypto/bytes.h"

namespace {

struct Decoded {
  bool ok = false;
  std::vector<uint8_t> bytes;
  bool operator==(const Decoded&) const = default;
};

using DecodeFn = bool (*)(std::string_view, uint8_t*, size_t, size_t*);

Decoded DecodeWith(DecodeFn decode, std::string_view text, size_t cap) {
  Decoded d;
  d.bytes.resize(cap + 1);
  size_t n = 0;
  d.ok = decode(text, d.bytes.data(), cap, &n);
  d.bytes.resize(d.ok ? n : 0);
  return d;
}

Decoded Fast(std::string_view text, size_t cap) {
  return DecodeWith(&sp::wire::Base64DecodeTo, text, cap);
}

Decoded Sodium(std::string_view text, size_t cap) {
  return DecodeWith(&sp::crypto::Base64DecodeInto, text, cap);
}

std::string FastEncode(const std::vector<uint8_t>& data) {
  std::string out = "prefix:";
  sp::wire::Base64Append(data.data(), data.size(), &out);
  return out.substr(7);
}

}  // namespace

TEST_CASE("wire base64: RFC 4648 test vectors") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    std::vector<uint8_t> bytes(plain.begin(), plain.end());
    CHECK(FastEncode(bytes) == encoded);
    Decoded d = Fast(encoded, 16);
    CHECK(d.ok);
    CHECK(std::string(d.bytes.begin(), d.bytes.end()) == plain);
  }
}

TEST_CASE("wire base64: encodes every length as libsodium does") {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 300; ++len) {
    std::vector<uint8_t> data(len);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    std::string fast = FastEncode(data);
    CHECK(fast == sp::crypto::Base64Encode(data));
    Decoded d = Fast(fast, len);
    REQUIRE(d.ok);
    CHECK(d.bytes == data);
  }
}

TEST_CASE("wire base64: accepts and refuses exactly what libsodium does") {
  std::mt19937 rng(11);
  const std::string interesting = "AZaz09+/=-_ \n\r\t.\x80\xff";
  size_t accepted = 0, refused = 0;
  for (int round = 0; round < 200000; ++round) {
    std::vector<uint8_t> data(rng() % 12);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    std::string text = sp::crypto::Base64Encode(data);
    // Mutate: replace, insert, delete or truncate a few bytes.
    int edits = static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      char c = rng() % 2 ? interesting[rng() % interesting.size()] : static_cast<char>(rng());
      size_t at = text.empty() ? 0 : rng() % text.size();
      switch (rng() % 4) {
        case 0:
          if (!text.empty()) text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        case 2:
          if (!text.empty()) text.erase(at, 1);
          break;
        default:
          text.resize(at);
      }
    }
    size_t cap = rng() % 4 == 0 ? rng() % 10 : 64;  // sometimes too small
    Decoded fast = Fast(text, cap);
    Decoded sodium = Sodium(text, cap);
    if (fast != sodium) {
      INFO("text: ", text, " cap: ", cap, " fast: ", fast.ok, " sodium: ", sodium.ok);
      FAIL("the codecs disagree");
    }
    (fast.ok ? accepted : refused)++;
  }
  // Both kinds were exercised.
  CHECK(accepted > 10000);
  CHECK(refused > 10000);
}

TEST_CASE("wire base64: non-canonical padding bits are refused") {
  size_t n = 0;
  uint8_t out[4];
  CHECK(sp::wire::Base64DecodeTo("Zg==", out, 4, &n));
  CHECK_FALSE(sp::wire::Base64DecodeTo("Zh==", out, 4, &n));  // leftover bits set
  CHECK(sp::wire::Base64DecodeTo("Zm8=", out, 4, &n));
  CHECK_FALSE(sp::wire::Base64DecodeTo("Zm9=", out, 4, &n));
  CHECK_FALSE(sp::wire::Base64DecodeTo("Zm=8", out, 4, &n));  // padding inside
  CHECK_FALSE(sp::wire::Base64DecodeTo("Zm8", out, 4, &n));   // padding missing
  CHECK_FALSE(sp::wire::Base64DecodeTo("Zm9v", out, 2, &n));  // beyond the capacity
}
