// Fuzzes the base64 helpers of crypto/bytes.h, which decode every transport
// frame and handshake message a peer sends. The input is used twice: as text
// to decode and as bytes to encode.
//
// Beyond "no crash", it checks:
// - Encode then Decode gives the bytes back; the text is 4*ceil(n/3)
//   characters of the standard alphabet with '=' padding;
//   Base64EncodeAppend appends exactly that text;
// - Decode accepts only canonical text: whatever it accepts encodes back to
//   the same text (so one message has one wire form);
// - DecodeInto agrees with Decode, fits exactly (a buffer of the decoded
//   size is enough, one byte less is refused) and never writes past its
//   capacity (each buffer is its own heap block of exactly that size, so
//   ASan sees an overflow).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "tests/fuzz/check.h"

namespace crypto = sp::crypto;

namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

void CheckEncoding(crypto::ByteView bytes) {
  const std::string text = crypto::Base64Encode(bytes);
  FUZZ_CHECK(text.size() == (bytes.size() + 2) / 3 * 4);
  const size_t padding = (3 - bytes.size() % 3) % 3;
  for (size_t i = 0; i < text.size(); ++i) {
    FUZZ_CHECK(i >= text.size() - padding ? text[i] == '=' : IsBase64Char(text[i]));
  }
  crypto::Bytes back;
  FUZZ_CHECK(crypto::Base64Decode(text, &back));
  FUZZ_CHECK(back.size() == bytes.size() &&
             std::equal(back.begin(), back.end(), bytes.begin(), bytes.end()));

  std::string appended = "prefix";
  crypto::Base64EncodeAppend(bytes, &appended);
  FUZZ_CHECK(appended == "prefix" + text);
}

// DecodeInto with a heap buffer of exactly `cap` bytes.
bool DecodeInto(std::string_view text, size_t cap, crypto::Bytes* out) {
  auto buf = std::make_unique<uint8_t[]>(cap);
  size_t written = 12345;
  const bool ok = crypto::Base64DecodeInto(text, buf.get(), cap, &written);
  if (!ok) return false;
  FUZZ_CHECK(written <= cap);
  out->assign(buf.get(), buf.get() + written);
  return true;
}

void CheckDecoding(std::string_view text) {
  crypto::Bytes decoded;
  const bool ok = crypto::Base64Decode(text, &decoded);
  crypto::Bytes into;
  // Generous capacity: DecodeInto refuses exactly what Decode refuses.
  FUZZ_CHECK(DecodeInto(text, text.size() + 4, &into) == ok);
  if (!ok) return;
  FUZZ_CHECK(into == decoded);
  FUZZ_CHECK(crypto::Base64Encode(decoded) == text);
  // Exact capacity is enough, one byte less is not.
  FUZZ_CHECK(DecodeInto(text, decoded.size(), &into) && into == decoded);
  if (!decoded.empty()) FUZZ_CHECK(!DecodeInto(text, decoded.size() - 1, &into));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckEncoding({data, size});
  CheckDecoding(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
