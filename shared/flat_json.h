// A scanner for the simplest JSON objects, the shape of almost every message
// on the hot path: one object whose values are plain strings (printable
// ASCII, no escapes) or integers. It builds no tree and allocates nothing;
// views point into the text.
//
// It accepts a strict subset of JSON and says "not simple" for everything
// else (escapes, other bytes, nesting, floats, literals, duplicate names,
// more than kMaxMembers members, any syntax error). Callers then use the
// general parser, which gives the full answer or the exact error. So a fast
// path built on it can only ever agree with the general parser
// (tests/shared/flat_json_test.cpp compares the two on mutated input).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sp::proto {

class FlatObject {
 public:
  static constexpr size_t kMaxMembers = 8;
  struct Member {
    std::string_view name;
    std::string_view text;  // a string's content, or an integer's digits
    bool is_string = false;
    int64_t integer = 0;  // when !is_string
  };

  // True when `text` is a simple object; the members are then available.
  [[nodiscard]] bool Scan(std::string_view text);

  // The member called `name`, or nullptr.
  const Member* Find(std::string_view name) const;
  size_t Size() const { return size_; }

 private:
  std::array<Member, kMaxMembers> members_{};
  size_t size_ = 0;
};

}  // namespace sp::proto
