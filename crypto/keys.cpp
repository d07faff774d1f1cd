#include "crypto/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/random_buffer.h"

namespace sp::crypto {

namespace {

constexpr size_t kMaxKeyFileBytes = 4096;
constexpr std::string_view kHeaderLine = "# sealpost static key (X25519). Keep it secret.\n";

// Holds text that contains a secret and wipes it before the memory is freed.
struct SecretText {
  std::string text;
  ~SecretText() { Wipe(text.data(), text.size()); }
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

KeyFileError ReadSmallFile(int fd, SecretText* out) {
  char buf[512];
  // Reserved up front so appending never reallocates and strands a copy of the secret.
  out->text.reserve(kMaxKeyFileBytes + sizeof(buf));
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return KeyFileError::Unreadable;
    if (n == 0) break;
    out->text.append(buf, static_cast<size_t>(n));
    if (out->text.size() > kMaxKeyFileBytes) break;
  }
  Wipe(buf, sizeof(buf));
  return out->text.size() > kMaxKeyFileBytes ? KeyFileError::Malformed : KeyFileError::Ok;
}

// Decodes "<label>: <base64 of 32 bytes>" into `dst`, once per label.
bool TakeField(std::string_view value, uint8_t dst[kKeyBytes], bool* seen) {
  if (*seen) return false;
  *seen = true;
  size_t written = 0;
  return Base64DecodeInto(Trim(value), dst, kKeyBytes, &written) && written == kKeyBytes;
}

KeyFileError ParseKeyText(std::string_view text, KeyPair* out) {
  Secret<kKeyBytes> secret;
  uint8_t claimed_public[kKeyBytes] = {};
  bool have_private = false;
  bool have_public = false;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = Trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    bool ok = false;
    if (line.starts_with("private:")) {
      ok = TakeField(line.substr(8), secret.data(), &have_private);
    } else if (line.starts_with("public:")) {
      ok = TakeField(line.substr(7), claimed_public, &have_public);
    }
    if (!ok) return KeyFileError::Malformed;
  }
  if (!have_private || !have_public) return KeyFileError::Malformed;
  KeyPair derived = KeyPairFromSecret(secret.view());
  if (!ConstantTimeEqual(derived.Public(), ByteView(claimed_public, kKeyBytes))) {
    return KeyFileError::Malformed;  // public line does not belong to the private key
  }
  *out = derived;
  return KeyFileError::Ok;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void FormatKeyFile(const KeyPair& pair, SecretText* out) {
  out->text.reserve(256);
  out->text.append(kHeaderLine);
  out->text.append("private: ");
  Base64EncodeAppend(pair.secret.view(), &out->text);
  out->text.append("\npublic: ");
  Base64EncodeAppend(pair.Public(), &out->text);
  out->text.append("\n");
}

// Writes, syncs and closes `fd`; the file is complete on disk when this succeeds.
bool FinishFile(int fd, std::string_view content) {
  const bool ok = WriteAll(fd, content) && fsync(fd) == 0;
  return close(fd) == 0 && ok;
}

KeyFileError WriteExclusive(const std::string& path, std::string_view content) {
  const int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return errno == EEXIST ? KeyFileError::Exists : KeyFileError::WriteFailed;
  if (!FinishFile(fd, content)) {
    unlink(path.c_str());
    return KeyFileError::WriteFailed;
  }
  return KeyFileError::Ok;
}

// Replaces `path` atomically: a reader sees the old key or the new one, never half.
KeyFileError WriteReplacing(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmpXXXXXX";
  const int fd = mkstemp(tmp.data());  // mkstemp creates the file with mode 0600
  if (fd < 0) return KeyFileError::WriteFailed;
  if (fchmod(fd, 0600) != 0 || !FinishFile(fd, content) || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return KeyFileError::WriteFailed;
  }
  return KeyFileError::Ok;
}

}  // namespace

bool InitCrypto() {
  return sodium_init() >= 0;
}

// What crypto_box_keypair() does (random secret, fixed-base scalar
// multiplication), with the secret from the buffered CSPRNG: an ephemeral key
// per handshake then costs no system call (crypto/random_buffer.h).
KeyPair GenerateKeyPair() {
  KeyPair pair;
  RandomBytes(pair.secret.data(), kKeyBytes);
  crypto_scalarmult_base(pair.public_key, pair.secret.data());
  return pair;
}

KeyPair KeyPairFromSecret(ByteView secret32) {
  KeyPair pair;
  if (secret32.size() != kKeyBytes) return pair;  // all zero: callers pass 32 bytes
  std::memcpy(pair.secret.data(), secret32.data(), kKeyBytes);
  crypto_scalarmult_base(pair.public_key, pair.secret.data());
  return pair;
}

const char* Describe(KeyFileError error) {
  switch (error) {
    case KeyFileError::Ok:
      return "ok";
    case KeyFileError::NotFound:
      return "key file not found";
    case KeyFileError::Unreadable:
      return "key file cannot be read";
    case KeyFileError::TooOpen:
      return "key file is accessible by group or others (chmod 600 it)";
    case KeyFileError::NotOwned:
      return "key file is owned by another user (chown it to the user that runs sealpost)";
    case KeyFileError::Symlink:
      return "key file is a symbolic link (give the path of the file itself)";
    case KeyFileError::Malformed:
      return "key file is malformed (expected private/public base64 lines that match)";
    case KeyFileError::WriteFailed:
      return "key file could not be written";
    case KeyFileError::Exists:
      return "key file already exists";
  }
  return "unknown key file error";
}

KeyFileError LoadKeyFile(const std::string& path, KeyPair* out) {
  // O_NOFOLLOW: a key file that is a link could be re-pointed by whoever can
  // write its folder; open() then fails with ELOOP.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return KeyFileError::NotFound;
    return errno == ELOOP ? KeyFileError::Symlink : KeyFileError::Unreadable;
  }
  struct stat st {};
  KeyFileError result = KeyFileError::Ok;
  SecretText content;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    result = KeyFileError::Unreadable;
  } else if (st.st_uid != geteuid()) {
    result = KeyFileError::NotOwned;
  } else if ((st.st_mode & 077) != 0) {
    result = KeyFileError::TooOpen;  // checked before reading: the secret stays unread
  } else {
    result = ReadSmallFile(fd, &content);
  }
  close(fd);
  if (result != KeyFileError::Ok) return result;
  return ParseKeyText(content.text, out);
}

KeyFileError WriteKeyFile(const std::string& path, const KeyPair& pair, bool overwrite) {
  SecretText content;
  FormatKeyFile(pair, &content);
  return overwrite ? WriteReplacing(path, content.text) : WriteExclusive(path, content.text);
}

std::string PublicKeyBase64(const KeyPair& pair) {
  return Base64Encode(pair.Public());
}

bool ParsePublicKey(std::string_view b64, uint8_t out[kKeyBytes]) {
  uint8_t buf[kKeyBytes + 3];
  size_t written = 0;
  if (!Base64DecodeInto(b64, buf, sizeof(buf), &written) || written != kKeyBytes) return false;
  std::memcpy(out, buf, kKeyBytes);
  return true;
}

}  // namespace sp::crypto
