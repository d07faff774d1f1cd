// A scanner for the simplest JSON objects, the shape of almost every message
// on the hot path: one object whose values are plain strings (printable
// ASCII, no escapes), integers, or objects of plain strings one level down
// (an event's fields). It builds no tree and allocates nothing; views point
// into the text.
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
  static constexpr size_t kMaxFields = 32;  // of all nested objects together
  enum class Kind { String, Integer, Object };
  struct Field {
    std::string_view name;
    std::string_view value;
  };
  struct Member {
    std::string_view name;
    Kind kind = Kind::String;
    std::string_view text;   // a string's content, or an integer's digits
    int64_t integer = 0;     // Kind::Integer
    size_t first_field = 0;  // Kind::Object: its fields are Fields(member)
    size_t field_count = 0;
    bool is_string() const { return kind == Kind::String; }
    bool is_integer() const { return kind == Kind::Integer; }
  };

  // True when `text` is a simple object; the members are then available.
  [[nodiscard]] bool Scan(std::string_view text);

  // The member called `name`, or nullptr.
  const Member* Find(std::string_view name) const;
  size_t Size() const { return size_; }
  // A Kind::Object member's fields, in the order written (names are unique).
  const Field* Fields(const Member& m) const { return fields_.data() + m.first_field; }

 private:
  bool ScanFields(class FlatCursor& in, Member* m);

  std::array<Member, kMaxMembers> members_{};
  std::array<Field, kMaxFields> fields_{};
  size_t size_ = 0;
  size_t field_total_ = 0;
};

}  // namespace sp::proto
