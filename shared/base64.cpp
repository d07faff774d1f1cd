#include "shared/base64.h"

#include <array>

namespace sp::wire {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for the alphabet, kInvalid for everything else ('=' included: padding
// is handled apart, only where it may stand).
constexpr uint8_t kInvalid = 0xFF;
constexpr auto kValues = [] {
  std::array<uint8_t, 256> values{};
  values.fill(kInvalid);
  for (uint8_t i = 0; i < 64; ++i) values[static_cast<unsigned char>(kAlphabet[i])] = i;
  return values;
}();

}  // namespace

void Base64Append(const uint8_t* data, size_t size, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + (size + 2) / 3 * 4);
  char* o = out->data() + old_size;
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  if (size - i == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (size - i == 2) {
    const uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8;
    *o++ = kAlphabet[v >> 18];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = '=';
  }
}

bool Base64DecodeTo(std::string_view text, uint8_t* out, size_t cap, size_t* written) {
  *written = 0;
  if (text.empty()) return true;
  if (text.size() % 4 != 0) return false;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const size_t quads = text.size() / 4;
  // The last quad may carry padding; every other one is four alphabet bytes.
  size_t padding = in[text.size() - 1] == '=' ? (in[text.size() - 2] == '=' ? 2 : 1) : 0;
  const size_t decoded = quads * 3 - padding;
  if (decoded > cap) return false;
  uint8_t* o = out;
  for (size_t q = 0; q + 1 < quads; ++q, in += 4) {
    const uint8_t a = kValues[in[0]], b = kValues[in[1]], c = kValues[in[2]], d = kValues[in[3]];
    if ((a | b | c | d) & 0xC0) return false;  // kInvalid has bits no value below 64 has
    const uint32_t v = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6 | d;
    *o++ = static_cast<uint8_t>(v >> 16);
    *o++ = static_cast<uint8_t>(v >> 8);
    *o++ = static_cast<uint8_t>(v);
  }
  const uint8_t a = kValues[in[0]], b = kValues[in[1]];
  const uint8_t c = padding == 2 ? 0 : kValues[in[2]];
  const uint8_t d = padding >= 1 ? 0 : kValues[in[3]];
  if ((a | b | c | d) & 0xC0) return false;
  const uint32_t v = uint32_t{a} << 18 | uint32_t{b} << 12 | uint32_t{c} << 6 | d;
  // Canonical only: the bits the padding stands for must be zero.
  if ((padding == 2 && (v & 0xFFFF) != 0) || (padding == 1 && (v & 0xFF) != 0)) return false;
  *o++ = static_cast<uint8_t>(v >> 16);
  if (padding < 2) *o++ = static_cast<uint8_t>(v >> 8);
  if (padding < 1) *o++ = static_cast<uint8_t>(v);
  *written = decoded;
  return true;
}

}  // namespace sp::wire
