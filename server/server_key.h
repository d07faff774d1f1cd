// The server's static key: loaded from the key file, or created (mode 0600)
// on first start. Its public key is what clients pin.
#pragma once

#include <string>

#include "crypto/keys.h"

namespace sp::server {

// False with a printed reason when the file is unusable (for example readable
// by group or others).
[[nodiscard]] bool LoadOrCreateServerKey(const std::string& path, crypto::KeyPair* out);

}  // namespace sp::server
