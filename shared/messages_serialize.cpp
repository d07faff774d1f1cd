// Serialisation of sealpost/1 messages. A small direct writer is used instead
// of building a nlohmann tree: a server-event is written once per delivered
// event, and the writer copies each string exactly once into the output.
#include <array>
#include <charconv>
#include <chrono>

#include "shared/client_id.h"
#include "shared/messages.h"

namespace sp::proto {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode Table
// 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto in = [&](size_t k, unsigned lo, unsigned hi) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned lead = byte(i);
  if (lead >= 0xC2 && lead <= 0xDF) return in(i + 1, 0x80, 0xBF) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = lead == 0xED ? 0x9F : 0xBF;
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
    return in(i + 1, lo, hi) && in(i + 2, 0x80, 0xBF) && in(i + 3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

void AppendEscapedAscii(unsigned char c, std::string* out) {
  switch (c) {
    case '"':
      out->append("\\\"");
      return;
    case '\\':
      out->append("\\\\");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    default:
      break;
  }
  // Remaining control characters, including 0x00 which must never reach the
  // wire because it terminates frames.
  static constexpr char kHex[] = "0123456789abcdef";
  const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
  out->append(escaped, sizeof(escaped));
}

// Bytes that are copied verbatim: printable ASCII other than '"' and '\\'.
// A table keeps the scan loop to one load and one branch per byte.
constexpr auto kPlainAscii = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// Appends `s` as a JSON string. JSON text must be UTF-8, so each byte that does
// not start a well-formed sequence becomes U+FFFD (the same outcome as
// nlohmann's error_handler_t::replace) rather than an exception.
void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  out->push_back('"');
  size_t run = 0;  // start of the bytes that can be copied verbatim
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (kPlainAscii[c]) {
      ++i;
      continue;
    }
    const size_t len = c >= 0x80 ? Utf8SequenceLength(s, i) : 0;
    if (len > 0) {  // valid multi-byte character: stays in the verbatim run
      i += len;
      continue;
    }
    out->append(s.data() + run, i - run);
    if (c < 0x80) {
      AppendEscapedAscii(c, out);
    } else {
      out->append(kReplacement);
    }
    run = ++i;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

// Writes one compact JSON object, "type" first and "ts" second. Keys are
// compile-time literals without characters that need escaping.
class ObjectWriter {
 public:
  ObjectWriter(std::string_view type, int64_t ts, size_t reserve = 64) : out_(owned_) {
    Open(type, ts, reserve);
  }
  // Appends to `out` instead (the hot path reuses one buffer).
  ObjectWriter(std::string* out, std::string_view type, int64_t ts, size_t reserve) : out_(*out) {
    Open(type, ts, out->size() + reserve);
  }

  void String(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(value, &out_);
  }
  void StringIfNotEmpty(std::string_view key, std::string_view value) {
    if (!value.empty()) String(key, value);
  }
  void Int(std::string_view key, int64_t value) {
    Key(key);
    char buf[24];
    const auto result = std::to_chars(buf, buf + sizeof(buf), value);
    out_.append(buf, result.ptr);
  }
  void Bool(std::string_view key, bool value) {
    Key(key);
    out_.append(value ? "true" : "false");
  }
  // `json` is already valid compact JSON (a parsed value, re-serialized).
  void RawJson(std::string_view key, std::string_view json) {
    Key(key);
    out_.append(json);
  }
  void Event(std::string_view key, const EventFields& fields) {
    Key(key);
    out_.push_back('{');
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out_.push_back(',');
      AppendJsonString(fields[i].first, &out_);
      out_.push_back(':');
      AppendJsonString(fields[i].second, &out_);
    }
    out_.push_back('}');
  }

  std::string Finish() && {
    out_.push_back('}');
    return std::move(owned_);
  }
  void Close() { out_.push_back('}'); }

 private:
  void Open(std::string_view type, int64_t ts, size_t reserve) {
    out_.reserve(reserve);
    out_.append("{\"type\":");
    AppendJsonString(type, &out_);
    Int("ts", ts);
  }
  void Key(std::string_view key) {
    out_.append(",\"");
    out_.append(key);
    out_.append("\":");
  }

  std::string owned_;
  std::string& out_;
};

// Output size for an event when nothing needs escaping: 6 bytes of quotes,
// colon and comma per field. Reserving it avoids regrowth on the hot path.
size_t EventSizeHint(const EventFields& fields) {
  size_t n = 2;
  for (const auto& [name, value] : fields) n += name.size() + value.size() + 6;
  return n;
}

}  // namespace

std::string Serialize(const Handshake& m) {
  ObjectWriter w("handshake", m.ts, 64 + m.msg.size());
  w.String("msg", m.msg);
  w.StringIfNotEmpty("protocol", m.protocol);
  return std::move(w).Finish();
}

std::string Serialize(const ClientAck& m) {
  ObjectWriter w("ack", m.ts);
  w.String("eventId", m.event_id);
  return std::move(w).Finish();
}

std::string Serialize(const ClientEvent& m) {
  ObjectWriter w("client-event", m.ts, 64 + m.id.size() + EventSizeHint(m.event));
  w.String("id", m.id);
  w.StringIfNotEmpty("to", m.to);
  w.Event("event", m.event);
  return std::move(w).Finish();
}

std::string Serialize(const Request& m) {
  ObjectWriter w("request", m.ts, 64 + m.id.size() + m.method.size() + m.params.size());
  w.String("id", m.id);
  w.String("method", m.method);
  w.RawJson("params", m.params.empty() ? std::string_view("null") : m.params);
  return std::move(w).Finish();
}

std::string Serialize(const Ping& m) {
  return ObjectWriter("ping", m.ts).Finish();
}

std::string Serialize(const Pong& m) {
  ObjectWriter w("pong", m.ts);
  w.Int("echo", m.echo);
  return std::move(w).Finish();
}

std::string Serialize(const Welcome& m) {
  ObjectWriter w("welcome", m.ts, 160);
  w.String("client", m.client);
  w.String("node", m.node);
  w.String("session", m.session);
  w.Int("heartbeatMs", m.heartbeat_ms);
  w.Int("window", m.window);
  w.Int("maxFrameBytes", m.max_frame_bytes);
  return std::move(w).Finish();
}

std::string Serialize(const ServerEvent& m) {
  std::string out;
  AppendServerEvent(m.event_id, m.attempt, m.event, m.ts, &out);
  return out;
}

void AppendServerEvent(std::string_view event_id, int64_t attempt, const EventFields& event,
                       int64_t ts, std::string* out) {
  ObjectWriter w(out, "server-event", ts, 96 + event_id.size() + EventSizeHint(event));
  w.String("eventId", event_id);
  w.Int("attempt", attempt);
  w.Event("event", event);
  w.Close();
}

std::string Serialize(const ServerAck& m) {
  ObjectWriter w("ack", m.ts);
  w.String("id", m.id);
  return std::move(w).Finish();
}

std::string Serialize(const Error& m) {
  ObjectWriter w("error", m.ts, 96 + m.message.size());
  w.String("code", m.code);
  w.String("message", m.message);
  w.Bool("retry", m.retry);
  w.StringIfNotEmpty("id", m.id);
  w.StringIfNotEmpty("eventId", m.event_id);
  return std::move(w).Finish();
}

std::string Serialize(const Goaway& m) {
  ObjectWriter w("goaway", m.ts);
  w.String("reason", m.reason);
  w.Int("reconnectMs", m.reconnect_ms);
  return std::move(w).Finish();
}

bool IsServerField(std::string_view name) {
  return name == "client" || name == "id" || name == "ts" || name == "from" || name == "to";
}

bool IsValidTarget(std::string_view to) {
  if (to.substr(0, kGroupPrefix.size()) == kGroupPrefix)
    return IsValidClientId(to.substr(kGroupPrefix.size()));
  return IsValidClientId(to);
}

bool IsValidMethod(std::string_view method) {
  return IsValidClientId(method);
}

Error MakeError(std::string_view code, std::string message, bool retry) {
  Error err;
  err.code = std::string(code);
  err.message = std::move(message);
  err.retry = retry;
  err.ts = NowMs();
  return err;
}

int64_t NowMs() {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  return duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace sp::proto
