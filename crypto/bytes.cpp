#include "crypto/bytes.h"

#include <sodium.h>

namespace sp::crypto {

namespace {

constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL;

// Upper bound of the decoded size, so the output can be sized before decoding.
size_t DecodedCapacity(size_t encoded_len) {
  return encoded_len / 4 * 3 + 3;
}

// libsodium (1.0.18) reads the text through a plain, signed char, and every
// byte from 0x80 up then decodes as '/' instead of being refused. Base64 is
// ASCII, so such text is refused here before libsodium sees it.
bool IsAscii(std::string_view text) {
  unsigned char seen = 0;
  for (const char c : text) seen |= static_cast<unsigned char>(c);
  return seen < 0x80;
}

}  // namespace

void Wipe(void* data, size_t size) {
  if (data != nullptr && size > 0) sodium_memzero(data, size);
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;  // span data() may be null for empty views
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(ByteView data) {
  std::string out;
  Base64EncodeAppend(data, &out);
  return out;
}

void Base64EncodeAppend(ByteView data, std::string* out) {
  const size_t old_size = out->size();
  // ENCODED_LEN counts the terminating NUL that sodium_bin2base64 writes.
  const size_t encoded_len = sodium_base64_ENCODED_LEN(data.size(), kBase64Variant);
  out->resize(old_size + encoded_len);
  static const uint8_t kEmpty = 0;
  sodium_bin2base64(out->data() + old_size, encoded_len, data.empty() ? &kEmpty : data.data(),
                    data.size(), kBase64Variant);
  out->resize(old_size + encoded_len - 1);
}

bool Base64DecodeInto(std::string_view text, uint8_t* out, size_t cap, size_t* written) {
  *written = 0;
  if (text.empty()) return true;
  if (!IsAscii(text)) return false;
  const char* end = nullptr;
  size_t len = 0;
  // No ignore set: whitespace and any other stray byte is an error, and `end`
  // must reach the end of the input so trailing garbage is rejected too.
  if (sodium_base642bin(out, cap, text.data(), text.size(), nullptr, &len, &end, kBase64Variant) !=
      0) {
    return false;
  }
  if (end != text.data() + text.size()) return false;
  *written = len;
  return true;
}

bool Base64Decode(std::string_view text, Bytes* out) {
  Bytes buf(DecodedCapacity(text.size()));
  size_t written = 0;
  if (!Base64DecodeInto(text, buf.data(), buf.size(), &written)) return false;
  buf.resize(written);
  *out = std::move(buf);
  return true;
}

std::string HexEncode(ByteView data) {
  std::string out(data.size() * 2 + 1, '\0');
  static const uint8_t kEmpty = 0;
  sodium_bin2hex(out.data(), out.size(), data.empty() ? &kEmpty : data.data(), data.size());
  out.pop_back();
  return out;
}

bool HexDecode(std::string_view text, Bytes* out) {
  if (text.size() % 2 != 0) return false;
  Bytes buf(text.size() / 2 + 1);
  size_t len = 0;
  const char* end = nullptr;
  if (!text.empty() &&
      (sodium_hex2bin(buf.data(), buf.size(), text.data(), text.size(), nullptr, &len, &end) != 0 ||
       end != text.data() + text.size())) {
    return false;
  }
  buf.resize(len);
  *out = std::move(buf);
  return true;
}

}  // namespace sp::crypto
