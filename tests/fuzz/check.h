// Shared by the fuzz targets: a check that reports the failed condition and
// aborts (libFuzzer then saves the input as a crash artifact), and a strict
// UTF-8 validator for strings that must stay valid JSON text.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

namespace sp::fuzz {

// Well-formed UTF-8 (Unicode Table 3-7: no overlongs, surrogates or values
// above U+10FFFF).
inline bool IsUtf8(std::string_view s) {
  size_t i = 0;
  auto cont = [&](size_t k, unsigned lo, unsigned hi) {
    if (k >= s.size()) return false;
    const unsigned b = static_cast<unsigned char>(s[k]);
    return b >= lo && b <= hi;
  };
  while (i < s.size()) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF && cont(i + 1, 0x80, 0xBF)) {
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF &&
               cont(i + 1, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF) &&
               cont(i + 2, 0x80, 0xBF)) {
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4 &&
               cont(i + 1, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF) &&
               cont(i + 2, 0x80, 0xBF) && cont(i + 3, 0x80, 0xBF)) {
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace sp::fuzz
