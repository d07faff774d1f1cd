// Static X25519 key pairs and the key files that hold them.
#pragma once

#include <string>

#include "crypto/bytes.h"

namespace sp::crypto {

constexpr size_t kKeyBytes = 32;

struct KeyPair {
  Secret<kKeyBytes> secret;
  uint8_t public_key[kKeyBytes] = {};
  ByteView Public() const { return {public_key, kKeyBytes}; }
};

// Must be called once before any other crypto function (sodium_init); idempotent.
// Returns false if libsodium cannot initialise.
[[nodiscard]] bool InitCrypto();

KeyPair GenerateKeyPair();
// Derives the public key from a secret key (crypto_scalarmult_base).
KeyPair KeyPairFromSecret(ByteView secret32);

enum class KeyFileError : uint8_t {
  Ok,
  NotFound,
  Unreadable,
  TooOpen,   // group- or world-readable: refused, like ssh does
  NotOwned,  // owned by another user: someone else could swap the key
  Symlink,   // a symbolic link: it could be pointed at another key later
  Malformed,
  WriteFailed,
  Exists,
};
const char* Describe(KeyFileError error);

// Key file format (text, mode 0600):
//   # sealpost static key (X25519). Keep it secret.
//   private: <base64 32 bytes>
//   public: <base64 32 bytes>
// The public line is checked against the private key on load.
[[nodiscard]] KeyFileError LoadKeyFile(const std::string& path, KeyPair* out);
// Creates the file with O_EXCL and mode 0600 (never widens an existing file).
[[nodiscard]] KeyFileError WriteKeyFile(const std::string& path, const KeyPair& pair,
                                        bool overwrite = false);

std::string PublicKeyBase64(const KeyPair& pair);
// Parses a base64 X25519 public key; false unless it decodes to exactly 32 bytes.
[[nodiscard]] bool ParsePublicKey(std::string_view b64, uint8_t out[kKeyBytes]);

}  // namespace sp::crypto
