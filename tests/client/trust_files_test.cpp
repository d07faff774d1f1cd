#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "client/trust_files.h"
#include "crypto/bytes.h"
#include "tests/support/temp_dir.h"

using sealpost::internal::CheckKnownServer;
using sealpost::internal::KnownServer;
using sealpost::internal::LoadOrCreateKey;
using sp::testkit::TempDir;

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string RandomKeyB64() {
  return sp::crypto::PublicKeyBase64(sp::crypto::GenerateKeyPair());
}

}  // namespace

TEST_CASE("known servers: first use records the key, later uses must match") {
  REQUIRE(sp::crypto::InitCrypto());
  TempDir dir;
  std::string file = dir.File("nested/dir/known_servers");  // parents are created
  std::string key = RandomKeyB64();
  std::string detail;
  CHECK(CheckKnownServer(file, "127.0.0.1:9300", key, &detail) == KnownServer::Recorded);
  CHECK(ReadAll(file) == "127.0.0.1:9300 " + key + "\n");
  CHECK(CheckKnownServer(file, "127.0.0.1:9300", key, &detail) == KnownServer::Match);

  SUBCASE("a changed key is refused with a pointer to the line") {
    std::string other = RandomKeyB64();
    CHECK(CheckKnownServer(file, "127.0.0.1:9300", other, &detail) == KnownServer::Mismatch);
    CHECK(detail.find("line 1") != std::string::npos);
    CHECK(detail.find(file) != std::string::npos);
    // Refusing does not replace the recorded key.
    CHECK(ReadAll(file) == "127.0.0.1:9300 " + key + "\n");
  }
  SUBCASE("servers are told apart by host:port") {
    std::string other = RandomKeyB64();
    CHECK(CheckKnownServer(file, "127.0.0.1:9301", other, &detail) == KnownServer::Recorded);
    CHECK(CheckKnownServer(file, "127.0.0.1:9301", other, &detail) == KnownServer::Match);
    CHECK(CheckKnownServer(file, "127.0.0.1:9300", key, &detail) == KnownServer::Match);
  }
}

TEST_CASE("known servers: comments and blank lines are skipped") {
  REQUIRE(sp::crypto::InitCrypto());
  TempDir dir;
  std::string file = dir.File("known_servers");
  std::string key = RandomKeyB64();
  std::ofstream(file) << "# pinned by hand\n\n  host.example:9300   " << key << "  \n";
  std::string detail;
  CHECK(CheckKnownServer(file, "host.example:9300", key, &detail) == KnownServer::Match);
  CHECK(CheckKnownServer(file, "# pinned", key, &detail) == KnownServer::Recorded);
}

TEST_CASE("key file: created 0600 on first use, loaded unchanged afterwards") {
  REQUIRE(sp::crypto::InitCrypto());
  TempDir dir;
  std::string path = dir.File("client.key");
  sp::crypto::KeyPair first;
  std::string error;
  REQUIRE(LoadOrCreateKey(path, &first, &error));
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  sp::crypto::KeyPair second;
  REQUIRE(LoadOrCreateKey(path, &second, &error));
  CHECK(sp::crypto::PublicKeyBase64(first) == sp::crypto::PublicKeyBase64(second));
}

TEST_CASE("key file: a group- or world-readable file is refused without leaking it") {
  REQUIRE(sp::crypto::InitCrypto());
  TempDir dir;
  std::string path = dir.File("client.key");
  sp::crypto::KeyPair pair;
  std::string error;
  REQUIRE(LoadOrCreateKey(path, &pair, &error));
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  sp::crypto::KeyPair again;
  CHECK_FALSE(LoadOrCreateKey(path, &again, &error));
  CHECK(error.find("group or others") != std::string::npos);
  std::string secret = sp::crypto::Base64Encode(pair.secret.view());
  CHECK(error.find(secret) == std::string::npos);
}

TEST_CASE("key file: a malformed file is reported, not replaced") {
  REQUIRE(sp::crypto::InitCrypto());
  TempDir dir;
  std::string path = dir.File("client.key");
  {
    std::ofstream out(path);
    out << "not a key\n";
  }
  REQUIRE(chmod(path.c_str(), 0600) == 0);
  sp::crypto::KeyPair pair;
  std::string error;
  CHECK_FALSE(LoadOrCreateKey(path, &pair, &error));
  CHECK(error.find("malformed") != std::string::npos);
  CHECK(ReadAll(path) == "not a key\n");
}
