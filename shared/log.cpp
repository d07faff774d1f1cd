#include "shared/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace sp::log {
namespace {

Level g_level = Level::Info;
Format g_format = Format::Text;

const char* LevelName(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
    case Level::Off:
      break;
  }
  return "off";
}

void AppendTimestamp(std::string* out) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  out->append(buf);
}

// JSON string escaping; also used for text values that need quoting, so a
// hostile value can never forge a second log line.
void AppendQuoted(std::string_view value, std::string* out) {
  out->push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

void Configure(Level level, Format format) {
  g_level = level;
  g_format = format;
}

bool ParseLevel(std::string_view text, Level* out) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {{"debug", Level::Debug},
                                                                  {"info", Level::Info},
                                                                  {"warn", Level::Warn},
                                                                  {"error", Level::Error},
                                                                  {"off", Level::Off}};
  for (const auto& [name, level] : kNames) {
    if (text == name) {
      *out = level;
      return true;
    }
  }
  return false;
}

bool ParseFormat(std::string_view text, Format* out) {
  if (text == "text")
    *out = Format::Text;
  else if (text == "json")
    *out = Format::Json;
  else
    return false;
  return true;
}

bool Enabled(Level level) {
  return level >= g_level && g_level != Level::Off;
}

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  if (g_format == Format::Json) {
    line.append("{\"ts\":\"");
    AppendTimestamp(&line);
    line.append("\",\"level\":\"").append(LevelName(level)).append("\",\"event\":");
    AppendQuoted(event, &line);
    for (const Field& f : fields) {
      line.push_back(',');
      AppendQuoted(f.key, &line);
      line.push_back(':');
      AppendQuoted(f.value, &line);
    }
    line.append("}\n");
  } else {
    AppendTimestamp(&line);
    line.push_back(' ');
    line.append(LevelName(level));
    line.push_back(' ');
    line.append(event);
    for (const Field& f : fields) {
      line.push_back(' ');
      line.append(f.key).push_back('=');
      if (NeedsQuotes(f.value))
        AppendQuoted(f.value, &line);
      else
        line.append(f.value);
    }
    line.push_back('\n');
  }
  // One fwrite per line keeps lines whole when several processes share stderr.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace sp::log
