// The buffered CSPRNG: distinct keys, refills, bytes wiped once handed out,
// and a forked child that never repeats its parent's buffered bytes.
#include "crypto/random_buffer.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <set>
#include <string>

#include "crypto/keys.h"

namespace sp::crypto {
namespace {

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != 0) return false;
  return true;
}

std::array<uint8_t, 32> Draw32() {
  std::array<uint8_t, 32> out{};
  RandomBytes(out.data(), out.size());
  return out;
}

}  // namespace

TEST_CASE("key pairs from the buffer are distinct and valid") {
  std::set<std::string> publics;
  std::set<std::string> secrets;
  for (int i = 0; i < 1000; ++i) {  // several refills' worth
    KeyPair pair = GenerateKeyPair();
    publics.insert(std::string(reinterpret_cast<const char*>(pair.public_key), kKeyBytes));
    secrets.insert(std::string(reinterpret_cast<const char*>(pair.secret.data()), kKeyBytes));
    // The public key is the one the secret yields.
    KeyPair again = KeyPairFromSecret(pair.secret.view());
    REQUIRE(std::memcmp(again.public_key, pair.public_key, kKeyBytes) == 0);
  }
  CHECK(publics.size() == 1000);
  CHECK(secrets.size() == 1000);
}

TEST_CASE("the buffer refills when used up, and wipes every byte it hands out") {
  RandomBufferView v = RandomBufferForTesting();
  REQUIRE(v.buffered);  // Linux >= 4.14 has MADV_WIPEONFORK
  // Start from a fresh fill: drain what is left.
  std::string sink(v.available, '\0');
  RandomBytes(sink.data(), sink.size());
  uint64_t refills = RandomBufferForTesting().refills;
  CHECK(RandomBufferForTesting().available == 0);

  auto first = Draw32();
  v = RandomBufferForTesting();
  CHECK(v.refills == refills + 1);
  CHECK(v.available == v.size - 32);
  // What was handed out is gone from the buffer; what is left is not zero.
  CHECK(AllZero(v.bytes, v.size - v.available));
  CHECK_FALSE(AllZero(v.bytes + v.size - v.available, v.available));
  auto second = Draw32();
  CHECK(first != second);
  v = RandomBufferForTesting();
  CHECK(AllZero(v.bytes, v.size - v.available));

  // A draw across the end of the buffer takes the rest, then a new fill.
  std::string most(v.available - 10, '\0');
  RandomBytes(most.data(), most.size());
  std::array<uint8_t, 20> across{};
  RandomBytes(across.data(), across.size());
  v = RandomBufferForTesting();
  CHECK(v.refills == refills + 2);
  CHECK(v.available == v.size - 10);
  CHECK(AllZero(v.bytes, 10));
  CHECK_FALSE(AllZero(across.data() + 10, 10));
}

TEST_CASE("draws larger than the buffer bypass it") {
  uint64_t refills = RandomBufferForTesting().refills;
  size_t available = RandomBufferForTesting().available;
  std::string huge(64 * 1024, '\0');
  RandomBytes(huge.data(), huge.size());
  CHECK(RandomBufferForTesting().refills == refills);
  CHECK(RandomBufferForTesting().available == available);
  CHECK_FALSE(AllZero(reinterpret_cast<const uint8_t*>(huge.data()), huge.size()));
}

TEST_CASE("a forked child does not hand out its parent's buffered bytes") {
  Draw32();  // the buffer holds unused bytes now
  REQUIRE(RandomBufferForTesting().available > 64);
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The kernel zeroed the pages: empty, so the first draw refills (refills
    // starts again at 1) from the child's own getrandom().
    bool wiped = RandomBufferForTesting().available == 0;
    auto bytes = Draw32();
    bool refilled = RandomBufferForTesting().refills == 1;
    uint8_t ok = wiped && refilled ? 1 : 0;
    ssize_t w = write(fds[1], bytes.data(), bytes.size());
    w += write(fds[1], &ok, 1);
    _exit(w == 33 ? 0 : 1);
  }
  close(fds[1]);
  auto parent = Draw32();  // the bytes the child would have taken without the wipe
  std::array<uint8_t, 33> child{};
  size_t got = 0;
  while (got < child.size()) {
    ssize_t n = read(fds[0], child.data() + got, child.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(got == child.size());
  CHECK(WIFEXITED(status));
  CHECK(child[32] == 1);
  CHECK(std::memcmp(child.data(), parent.data(), 32) != 0);
}

}  // namespace sp::crypto
