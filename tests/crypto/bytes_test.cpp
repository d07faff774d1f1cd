#include "crypto/bytes.h"

#include <doctest/doctest.h>

#include "test_util.h"

namespace sp::crypto {
namespace {

using test::BytesOf;

TEST_CASE("Base64 encodes with standard alphabet and padding") {
  CHECK(Base64Encode({}) == "");
  CHECK(Base64Encode(AsBytes("f")) == "Zg==");
  CHECK(Base64Encode(AsBytes("fo")) == "Zm8=");
  CHECK(Base64Encode(AsBytes("foo")) == "Zm9v");
  CHECK(Base64Encode(AsBytes("foobar")) == "Zm9vYmFy");
  const uint8_t high[] = {0xfb, 0xff, 0xbf};
  CHECK(Base64Encode(high) == "+/+/");  // not the URL-safe alphabet
}

TEST_CASE("Base64EncodeAppend appends after existing text") {
  std::string out = "prefix:";
  Base64EncodeAppend(AsBytes("foo"), &out);
  CHECK(out == "prefix:Zm9v");
}

TEST_CASE("Base64 decodes what it encodes for every length up to 64") {
  for (size_t n = 0; n <= 64; ++n) {
    Bytes data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
    Bytes back;
    REQUIRE(Base64Decode(Base64Encode(data), &back));
    CHECK(back == data);
  }
}

TEST_CASE("Base64 decoding rejects malformed input") {
  Bytes out;
  CHECK(Base64Decode("", &out));
  CHECK(out.empty());
  CHECK_FALSE(Base64Decode("Zg", &out));      // missing padding
  CHECK_FALSE(Base64Decode("Zg=", &out));     // short padding
  CHECK_FALSE(Base64Decode("Zg===", &out));   // too much padding
  CHECK_FALSE(Base64Decode("Zm9v\n", &out));  // whitespace is not ignored
  CHECK_FALSE(Base64Decode("Zm 9v", &out));
  CHECK_FALSE(Base64Decode("Zm9vYmFy!", &out));  // trailing garbage
  CHECK_FALSE(Base64Decode("Zg==Zg==", &out));   // data after padding
  CHECK_FALSE(Base64Decode("Zm9-", &out));       // URL-safe alphabet
  CHECK_FALSE(Base64Decode("Zh==", &out));       // non-zero unused bits
  CHECK_FALSE(Base64Decode(std::string_view("Zm\0v", 4), &out));
}

TEST_CASE("Base64 decoding rejects bytes from 0x80 up (libsodium 1.0.18 read them as '/')") {
  Bytes out;
  CHECK_FALSE(Base64Decode("\xf5\xf5\xf5\xf5", &out));  // found by fuzz_base64
  uint8_t buf[8];
  size_t written = 99;
  for (int b = 0x80; b <= 0xFF; ++b) {
    CAPTURE(b);
    std::string text = "Zm8/";       // "fo?", and before the fix also with
    text[3] = static_cast<char>(b);  // its '/' replaced by this byte
    CHECK_FALSE(Base64Decode(text, &out));
    CHECK_FALSE(Base64DecodeInto(text, buf, sizeof(buf), &written));
    CHECK(written == 0);
  }
  // A UTF-8 character (two bytes) in otherwise valid text, as JSON allows.
  CHECK_FALSE(Base64Decode(std::string("Zm9v\xc3\xa9") + "A=", &out));
}

TEST_CASE("Base64DecodeInto respects the output capacity") {
  uint8_t buf[3];
  size_t written = 99;
  CHECK(Base64DecodeInto("Zm9v", buf, sizeof(buf), &written));
  CHECK(written == 3);
  CHECK_FALSE(Base64DecodeInto("Zm9vYg==", buf, sizeof(buf), &written));
  CHECK(Base64DecodeInto("", buf, sizeof(buf), &written));
  CHECK(written == 0);
}

TEST_CASE("Hex encodes lowercase and decodes either case") {
  const uint8_t data[] = {0x00, 0xab, 0xff, 0x10};
  CHECK(HexEncode(data) == "00abff10");
  CHECK(HexEncode({}) == "");
  Bytes out;
  REQUIRE(HexDecode("00ABff10", &out));
  CHECK(out == Bytes(std::begin(data), std::end(data)));
  REQUIRE(HexDecode("", &out));
  CHECK(out.empty());
}

TEST_CASE("Hex decoding rejects odd lengths and non-hex characters") {
  Bytes out;
  CHECK_FALSE(HexDecode("abc", &out));
  CHECK_FALSE(HexDecode("zz", &out));
  CHECK_FALSE(HexDecode("ab ", &out));
  CHECK_FALSE(HexDecode("ab:cd", &out));
  CHECK_FALSE(HexDecode("0x12", &out));
}

TEST_CASE("ConstantTimeEqual compares contents and sizes") {
  const Bytes a = BytesOf("secret-key");
  CHECK(ConstantTimeEqual(a, BytesOf("secret-key")));
  CHECK_FALSE(ConstantTimeEqual(a, BytesOf("secret-kez")));
  CHECK_FALSE(ConstantTimeEqual(a, BytesOf("secret-ke")));
  CHECK_FALSE(ConstantTimeEqual(a, {}));
  CHECK(ConstantTimeEqual({}, {}));
}

TEST_CASE("Wipe zeroes memory and Secret wipes copies independently") {
  uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  Wipe(buf, sizeof(buf));
  for (uint8_t b : buf) CHECK(b == 0);
  Wipe(nullptr, 0);  // harmless

  Secret<4> s;
  s.bytes[0] = 9;
  Secret<4> copy = s;
  CHECK(copy.bytes[0] == 9);
  CHECK(copy.view().size() == 4);
}

}  // namespace
}  // namespace sp::crypto
