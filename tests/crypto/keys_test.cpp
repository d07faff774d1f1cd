#include "crypto/keys.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"

namespace sp::crypto {
namespace {

// A private temporary directory, removed with its files at the end of a test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sp-crypto-keys-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string File(const char* name) const { return path + "/" + name; }
};

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

void WriteText(const std::string& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

TEST_CASE("generated key pairs derive their public key from the secret") {
  test::CryptoInit init;
  const KeyPair a = GenerateKeyPair();
  const KeyPair b = GenerateKeyPair();
  CHECK_FALSE(ConstantTimeEqual(a.Public(), b.Public()));
  const KeyPair again = KeyPairFromSecret(a.secret.view());
  CHECK(ConstantTimeEqual(again.Public(), a.Public()));
}

TEST_CASE("KeyPairFromSecret matches the RFC 7748 X25519 example") {
  const Bytes alice = test::Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  CHECK(test::ToHex(KeyPairFromSecret(alice).Public()) ==
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
}

TEST_CASE("a written key file has mode 0600 and loads back") {
  test::CryptoInit init;
  TempDir dir;
  const std::string path = dir.File("server.key");
  const KeyPair pair = GenerateKeyPair();
  REQUIRE(WriteKeyFile(path, pair) == KeyFileError::Ok);
  CHECK(ModeOf(path) == 0600);
  KeyPair loaded;
  REQUIRE(LoadKeyFile(path, &loaded) == KeyFileError::Ok);
  CHECK(ConstantTimeEqual(loaded.secret.view(), pair.secret.view()));
  CHECK(ConstantTimeEqual(loaded.Public(), pair.Public()));
}

TEST_CASE("WriteKeyFile refuses to replace a file unless asked to overwrite") {
  test::CryptoInit init;
  TempDir dir;
  const std::string path = dir.File("k");
  const KeyPair first = GenerateKeyPair();
  const KeyPair second = GenerateKeyPair();
  REQUIRE(WriteKeyFile(path, first) == KeyFileError::Ok);
  CHECK(WriteKeyFile(path, second) == KeyFileError::Exists);
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  REQUIRE(WriteKeyFile(path, second, /*overwrite=*/true) == KeyFileError::Ok);
  CHECK(ModeOf(path) == 0600);  // the replacement never inherits a wider mode
  KeyPair loaded;
  REQUIRE(LoadKeyFile(path, &loaded) == KeyFileError::Ok);
  CHECK(ConstantTimeEqual(loaded.Public(), second.Public()));
}

TEST_CASE("WriteKeyFile reports a failure for an unwritable location") {
  test::CryptoInit init;
  const KeyPair pair = GenerateKeyPair();
  CHECK(WriteKeyFile("/nonexistent-dir/k", pair) == KeyFileError::WriteFailed);
  CHECK(WriteKeyFile("/nonexistent-dir/k", pair, true) == KeyFileError::WriteFailed);
}

TEST_CASE("LoadKeyFile refuses a group- or world-readable key file") {
  test::CryptoInit init;
  TempDir dir;
  const std::string path = dir.File("k");
  REQUIRE(WriteKeyFile(path, GenerateKeyPair()) == KeyFileError::Ok);
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  KeyPair loaded;
  CHECK(LoadKeyFile(path, &loaded) == KeyFileError::TooOpen);
  REQUIRE(chmod(path.c_str(), 0640) == 0);
  CHECK(LoadKeyFile(path, &loaded) == KeyFileError::TooOpen);
  REQUIRE(chmod(path.c_str(), 0400) == 0);
  CHECK(LoadKeyFile(path, &loaded) == KeyFileError::Ok);
  CHECK(std::string(Describe(KeyFileError::TooOpen)).find("chmod 600") != std::string::npos);
}

TEST_CASE("LoadKeyFile refuses a key file reached through a symbolic link") {
  test::CryptoInit init;
  TempDir dir;
  const std::string path = dir.File("k");
  REQUIRE(WriteKeyFile(path, GenerateKeyPair()) == KeyFileError::Ok);
  const std::string link = dir.File("link");
  REQUIRE(symlink(path.c_str(), link.c_str()) == 0);
  KeyPair loaded;
  CHECK(LoadKeyFile(link, &loaded) == KeyFileError::Symlink);
  CHECK(LoadKeyFile(path, &loaded) == KeyFileError::Ok);
}

TEST_CASE("LoadKeyFile refuses a key file owned by another user") {
  test::CryptoInit init;
  KeyPair loaded;
  if (geteuid() == 0) {
    TempDir dir;
    const std::string path = dir.File("k");
    REQUIRE(WriteKeyFile(path, GenerateKeyPair()) == KeyFileError::Ok);
    REQUIRE(chown(path.c_str(), 12345, 12345) == 0);
    CHECK(LoadKeyFile(path, &loaded) == KeyFileError::NotOwned);
  } else {
    // Any root-owned regular file will do: refused before it is read.
    CHECK(LoadKeyFile("/etc/passwd", &loaded) == KeyFileError::NotOwned);
  }
  CHECK(std::string(Describe(KeyFileError::NotOwned)).find("chown") != std::string::npos);
}

TEST_CASE("LoadKeyFile reports a missing file as NotFound") {
  KeyPair loaded;
  CHECK(LoadKeyFile("/nonexistent-dir/none.key", &loaded) == KeyFileError::NotFound);
}

TEST_CASE("LoadKeyFile rejects malformed key files") {
  test::CryptoInit init;
  TempDir dir;
  const KeyPair pair = GenerateKeyPair();
  const std::string priv = "private: " + Base64Encode(pair.secret.view()) + "\n";
  const std::string pub = "public: " + PublicKeyBase64(pair) + "\n";
  const std::string other_pub = "public: " + PublicKeyBase64(GenerateKeyPair()) + "\n";
  const struct {
    const char* what;
    std::string text;
  } cases[] = {
      {"empty", ""},
      {"private only", priv},
      {"public only", pub},
      {"mismatched public key", priv + other_pub},
      {"duplicate private line", priv + priv + pub},
      {"unknown line", priv + pub + "extra: 1\n"},
      {"short key", "private: AAAA\n" + pub},
      {"not base64", "private: !!!!\n" + pub},
      {"oversized", priv + pub + std::string(5000, '#')},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    const std::string path = dir.File("bad");
    WriteText(path, c.text);
    KeyPair loaded;
    CHECK(LoadKeyFile(path, &loaded) == KeyFileError::Malformed);
  }
}

TEST_CASE("LoadKeyFile accepts comments, blank lines and either line order") {
  test::CryptoInit init;
  TempDir dir;
  const KeyPair pair = GenerateKeyPair();
  const std::string path = dir.File("k");
  WriteText(path, "# comment\n\npublic: " + PublicKeyBase64(pair) +
                      "\r\nprivate:   " + Base64Encode(pair.secret.view()) + "  \n");
  KeyPair loaded;
  REQUIRE(LoadKeyFile(path, &loaded) == KeyFileError::Ok);
  CHECK(ConstantTimeEqual(loaded.Public(), pair.Public()));
}

TEST_CASE("ParsePublicKey accepts exactly 32 base64-encoded bytes") {
  test::CryptoInit init;
  const KeyPair pair = GenerateKeyPair();
  uint8_t out[kKeyBytes];
  REQUIRE(ParsePublicKey(PublicKeyBase64(pair), out));
  CHECK(ConstantTimeEqual({out, kKeyBytes}, pair.Public()));
  CHECK_FALSE(ParsePublicKey(Base64Encode(Bytes(31, 1)), out));
  CHECK_FALSE(ParsePublicKey(Base64Encode(Bytes(33, 1)), out));
  CHECK_FALSE(ParsePublicKey("", out));
  CHECK_FALSE(ParsePublicKey(PublicKeyBase64(pair) + "x", out));
}

}  // namespace
}  // namespace sp::crypto
