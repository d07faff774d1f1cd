// Structured one-line logs, text or JSON, to stderr. Callers pass an event
// name and key=value fields; keys and payloads never belong in them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace sp::log {

enum class Level : uint8_t { Debug, Info, Warn, Error, Off };
enum class Format : uint8_t { Text, Json };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class T>
  requires std::is_arithmetic_v<T> Field(std::string_view k, T v)
      : key(k), value(std::to_string(v)) {}
};

void Configure(Level level, Format format);
[[nodiscard]] bool ParseLevel(std::string_view text, Level* out);
[[nodiscard]] bool ParseFormat(std::string_view text, Format* out);
bool Enabled(Level level);
void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::Debug)) Write(Level::Debug, event, fields);
}
inline void Info(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::Info)) Write(Level::Info, event, fields);
}
inline void Warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::Warn)) Write(Level::Warn, event, fields);
}
inline void Error(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::Error)) Write(Level::Error, event, fields);
}

}  // namespace sp::log
