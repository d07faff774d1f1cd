// keygen and pubkey: key files on disk. Only public keys are ever printed.
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "crypto/keys.h"

namespace sealpost::cli {
namespace {

int Keygen(const std::string& out, bool force) {
  if (!sp::crypto::InitCrypto()) return Fail("cannot initialise libsodium");
  sp::crypto::KeyPair pair = sp::crypto::GenerateKeyPair();
  sp::crypto::KeyFileError rc = sp::crypto::WriteKeyFile(out, pair, force);
  if (rc == sp::crypto::KeyFileError::Exists) {
    return Fail(out + ": already exists (use --force to replace it)");
  }
  if (rc != sp::crypto::KeyFileError::Ok) return Fail(out + ": " + sp::crypto::Describe(rc));
  PrintLine(sp::crypto::PublicKeyBase64(pair));
  return 0;
}

int Pubkey(const std::string& path) {
  if (path.empty()) return Fail("missing --key FILE (or SEALPOST_KEY)");
  if (!sp::crypto::InitCrypto()) return Fail("cannot initialise libsodium");
  sp::crypto::KeyPair pair;
  sp::crypto::KeyFileError rc = sp::crypto::LoadKeyFile(path, &pair);
  if (rc != sp::crypto::KeyFileError::Ok) return Fail(path + ": " + sp::crypto::Describe(rc));
  PrintLine(sp::crypto::PublicKeyBase64(pair));
  return 0;
}

}  // namespace

void AddKeyCommands(CLI::App& app, Commands* out) {
  struct State {
    std::string out;
    bool force = false;
    std::string key;
  };
  auto s = std::make_shared<State>();

  CLI::App* keygen = app.add_subcommand(
      "keygen", "Write a new X25519 key pair file (mode 0600); prints its public key");
  keygen->add_option("--out", s->out, "Key file to create")->required();
  keygen->add_flag("--force", s->force, "Replace an existing file");
  out->emplace_back(keygen, [s] { return Keygen(s->out, s->force); });

  s = std::make_shared<State>();
  CLI::App* pubkey = app.add_subcommand("pubkey", "Print the public key of a key file");
  pubkey->add_option("--key", s->key, "Key file")->envname("SEALPOST_KEY");
  out->emplace_back(pubkey, [s] { return Pubkey(s->key); });
}

}  // namespace sealpost::cli
