#include "shared/flat_json.h"

namespace sp::proto {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Printable ASCII except '"' and '\\': copied as is by every JSON parser.
bool IsPlain(char c) {
  return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

}  // namespace

// The reading position in a text, for FlatObject only.
class FlatCursor {
 public:
  explicit FlatCursor(std::string_view text) : text_(text) {}
  void SkipSpace() {
    while (at_ < text_.size() && IsSpace(text_[at_])) ++at_;
  }
  bool Take(char c) {
    SkipSpace();
    if (at_ >= text_.size() || text_[at_] != c) return false;
    ++at_;
    return true;
  }
  char Peek() {
    SkipSpace();
    return at_ < text_.size() ? text_[at_] : '\0';
  }
  bool AtEnd() {
    SkipSpace();
    return at_ == text_.size();
  }
  // A string of plain bytes only, without its quotes.
  bool PlainString(std::string_view* out) {
    if (!Take('"')) return false;
    size_t start = at_;
    while (at_ < text_.size() && IsPlain(text_[at_])) ++at_;
    if (at_ >= text_.size() || text_[at_] != '"') return false;  // escape, control or end
    *out = text_.substr(start, at_ - start);
    ++at_;
    return true;
  }
  // -?(0|[1-9][0-9]*) followed by none of ".eE", at most 18 digits (always
  // an int64; longer numbers and "-0" go to the general parser).
  bool Integer(std::string_view* digits, int64_t* value) {
    SkipSpace();
    size_t start = at_;
    bool negative = at_ < text_.size() && text_[at_] == '-';
    if (negative) ++at_;
    size_t first = at_;
    int64_t v = 0;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
      if (at_ - first == 18) return false;
      v = v * 10 + (text_[at_] - '0');
      ++at_;
    }
    size_t n = at_ - first;
    if (n == 0 || (text_[first] == '0' && (n > 1 || negative))) return false;
    if (at_ < text_.size() && (text_[at_] == '.' || text_[at_] == 'e' || text_[at_] == 'E'))
      return false;
    *digits = text_.substr(start, at_ - start);
    *value = negative ? -v : v;
    return true;
  }

 private:
  std::string_view text_;
  size_t at_ = 0;
};

bool FlatObject::ScanFields(FlatCursor& in, Member* m) {
  m->kind = Kind::Object;
  m->first_field = field_total_;
  if (in.Take('}')) return true;
  do {
    if (field_total_ == kMaxFields) return false;
    Field f;
    if (!in.PlainString(&f.name) || !in.Take(':') || !in.PlainString(&f.value)) return false;
    for (size_t i = m->first_field; i < field_total_; ++i)
      if (fields_[i].name == f.name) return false;  // duplicates: the general parser decides
    fields_[field_total_++] = f;
    m->field_count++;
  } while (in.Take(','));
  return in.Take('}');
}

bool FlatObject::Scan(std::string_view text) {
  size_ = 0;
  field_total_ = 0;
  FlatCursor in(text);
  if (!in.Take('{')) return false;
  if (in.Take('}')) return in.AtEnd();
  do {
    if (size_ == kMaxMembers) return false;
    Member m;
    if (!in.PlainString(&m.name) || !in.Take(':')) return false;
    if (Find(m.name) != nullptr) return false;  // duplicates: the general parser decides
    char next = in.Peek();
    if (next == '"') {
      m.kind = Kind::String;
      if (!in.PlainString(&m.text)) return false;
    } else if (next == '{') {
      in.Take('{');
      if (!ScanFields(in, &m)) return false;
    } else {
      m.kind = Kind::Integer;
      if (!in.Integer(&m.text, &m.integer)) return false;
    }
    members_[size_++] = m;
  } while (in.Take(','));
  return in.Take('}') && in.AtEnd();
}

const FlatObject::Member* FlatObject::Find(std::string_view name) const {
  for (size_t i = 0; i < size_; ++i)
    if (members_[i].name == name) return &members_[i];
  return nullptr;
}

}  // namespace sp::proto
