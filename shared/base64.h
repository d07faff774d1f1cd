// Base64 (RFC 4648 section 4, standard alphabet, padded) for public data:
// the ciphertext of transport frames, encoded and decoded once per message.
//
// Table-driven and variable-time, about nine times faster than libsodium's
// codec, which is constant-time because it may see secrets. Ciphertext is
// not secret, so frames use this one; keys and anything secret keep
// crypto::Base64* (libsodium). Both accept exactly the same texts
// (tests/shared/base64_test.cpp checks this against libsodium): canonical
// padding only, no whitespace, no other byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sp::wire {

// Appends the encoding of data[0, size) to `out`.
void Base64Append(const uint8_t* data, size_t size, std::string* out);

// Decodes `text` into out[0, cap); false on any byte outside the alphabet,
// padding that is missing, misplaced or non-canonical, or output beyond `cap`.
[[nodiscard]] bool Base64DecodeTo(std::string_view text, uint8_t* out, size_t cap, size_t* written);

}  // namespace sp::wire
