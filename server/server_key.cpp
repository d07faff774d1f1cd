#include "server/server_key.h"

#include "shared/log.h"

namespace sp::server {

bool LoadOrCreateServerKey(const std::string& path, crypto::KeyPair* out) {
  crypto::KeyFileError err = crypto::LoadKeyFile(path, out);
  if (err == crypto::KeyFileError::NotFound) {
    *out = crypto::GenerateKeyPair();
    err = crypto::WriteKeyFile(path, *out);
    if (err != crypto::KeyFileError::Ok) {
      log::Error("server.key_write_failed", {{"file", path}, {"error", crypto::Describe(err)}});
      return false;
    }
    log::Info("server.key_created", {{"file", path}});
  } else if (err != crypto::KeyFileError::Ok) {
    log::Error("server.key_refused", {{"file", path}, {"error", crypto::Describe(err)}});
    return false;
  }
  // The public key is not secret: operators pin it in their clients.
  log::Info("server.public_key", {{"pk", crypto::PublicKeyBase64(*out)}});
  return true;
}

}  // namespace sp::server
