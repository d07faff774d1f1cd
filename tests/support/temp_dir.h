// A fresh temporary directory (under $TMPDIR), removed with everything in it
// when the object goes: also when a failed REQUIRE leaves the test early.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace sp::testkit {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "sealpost-test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory " + pattern);
    path_ = std::move(pattern);
  }
  ~TempDir() {
    std::error_code ec;  // best effort: never throws from a destructor
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& Path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace sp::testkit
