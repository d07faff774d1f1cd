// The two local files a client trusts: its own key file (created 0600 on
// first use) and the known-servers file that pins each server's key on first
// use, like ssh's known_hosts.
#pragma once

#include <string>
#include <string_view>

#include "crypto/keys.h"

namespace sealpost::internal {

// Loads `path`, or creates it with a fresh key pair (mode 0600) when missing.
// False with a one-line reason otherwise (never containing key material).
[[nodiscard]] bool LoadOrCreateKey(const std::string& path, sp::crypto::KeyPair* out,
                                   std::string* error);

enum class KnownServer : unsigned char {
  Match,     // recorded key equals the presented one
  Recorded,  // first use: the key was appended to the file
  Mismatch,  // a different key is recorded: refuse
  Failed,    // the file could not be read or written
};

// Looks up `server` ("host:port") in the known-servers file and records
// `key_b64` when absent. The file holds "<host:port> <base64 key>" lines;
// '#' starts a comment. Missing parent directories are created (0700).
KnownServer CheckKnownServer(const std::string& path, std::string_view server,
                             std::string_view key_b64, std::string* detail);

// $HOME/.sealpost/known_servers (or ./.sealpost/... without HOME).
std::string DefaultKnownServersPath();

}  // namespace sealpost::internal
