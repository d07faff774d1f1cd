#include "client/trust_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "crypto/bytes.h"

namespace sealpost::internal {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// mkdir -p for the parent of `path`.
bool MakeParents(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  return true;
}

bool AppendLine(const std::string& path, const std::string& line) {
  if (!MakeParents(path)) return false;
  // O_APPEND: two clients recording at once each add a whole line.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  return close(fd) == 0 && ok;
}

}  // namespace

bool LoadOrCreateKey(const std::string& path, sp::crypto::KeyPair* out, std::string* error) {
  using sp::crypto::KeyFileError;
  KeyFileError rc = sp::crypto::LoadKeyFile(path, out);
  if (rc == KeyFileError::NotFound) {
    *out = sp::crypto::GenerateKeyPair();
    rc = sp::crypto::WriteKeyFile(path, *out, /*overwrite=*/false);
    // Another process created it between our load and write: use theirs.
    if (rc == KeyFileError::Exists) rc = sp::crypto::LoadKeyFile(path, out);
  }
  if (rc == KeyFileError::Ok) return true;
  *error = path + ": " + sp::crypto::Describe(rc);
  return false;
}

KnownServer CheckKnownServer(const std::string& path, std::string_view server,
                             std::string_view key_b64, std::string* detail) {
  std::ifstream in(path);
  if (!in && errno != ENOENT) {
    *detail = path + ": " + std::strerror(errno);
    return KnownServer::Failed;
  }
  std::string line;
  for (int number = 1; in && std::getline(in, line); ++number) {
    std::string_view text = Trim(line);
    if (text.empty() || text.front() == '#') continue;
    size_t space = text.find_first_of(" \t");
    if (space == std::string_view::npos || text.substr(0, space) != server) continue;
    std::string_view recorded = Trim(text.substr(space + 1));
    if (recorded.size() == key_b64.size() &&
        sp::crypto::ConstantTimeEqual(sp::crypto::AsBytes(recorded),
                                      sp::crypto::AsBytes(key_b64))) {
      return KnownServer::Match;
    }
    *detail = "the key recorded for " + std::string(server) + " in " + path + " (line " +
              std::to_string(number) + ") differs; remove that line if the change is expected";
    return KnownServer::Mismatch;
  }
  if (!AppendLine(path, std::string(server) + " " + std::string(key_b64) + "\n")) {
    *detail = path + ": cannot record the server key: " + std::strerror(errno);
    return KnownServer::Failed;
  }
  return KnownServer::Recorded;
}

std::string DefaultKnownServersPath() {
  const char* home = std::getenv("HOME");
  std::string base = home && *home ? home : ".";
  return base + "/.sealpost/known_servers";
}

}  // namespace sealpost::internal
