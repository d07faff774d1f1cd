// Parsing of sealpost/1 messages. Input is hostile: nothing here may throw, so
// every value is type-checked through get_ptr (which returns nullptr instead
// of throwing) before it is read.
//
// Required fields: everything shown without brackets in messages.h, except
// Pong.echo (0), ServerEvent.attempt (1), Error.retry (false) and
// Goaway.reconnectMs (0), which default when absent. An optional field that
// is null counts as absent; any other wrong type is an error. Unknown fields
// are ignored so that newer peers can add some.
#include <limits>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "shared/client_id.h"
#include "shared/flat_json.h"
#include "shared/messages.h"

namespace sp::proto {
namespace {

// ordered_json keeps object members in the order written, which EventFields
// must preserve.
using Json = nlohmann::ordered_json;

// Real messages nest two levels deep. Rejecting deeper input up front bounds
// the parser's work and stack no matter which nlohmann version is in use.
constexpr int kMaxNestingDepth = 32;
// Echoed input (unknown type names, field names) is cut to this many bytes.
constexpr size_t kMaxEchoBytes = 64;
// A Redis stream id is two uint64 values; each has at most 20 digits.
constexpr size_t kMaxStreamIdPartDigits = 20;

std::string Truncate(std::string_view s) {
  if (s.size() <= kMaxEchoBytes) return std::string(s);
  size_t cut = kMaxEchoBytes;
  // Back up to a character boundary so the echo stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

// True if no array/object opens deeper than kMaxNestingDepth. Brackets inside
// strings do not count; malformed input is left for the parser to report.
bool NestingWithinLimit(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNestingDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > kMaxStreamIdPartDigits) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "<ms>-<seq>", as Redis XADD returns it.
bool IsStreamId(std::string_view s) {
  const size_t dash = s.find('-');
  return dash != std::string_view::npos && IsDigits(s.substr(0, dash)) &&
         IsDigits(s.substr(dash + 1));
}

std::optional<int64_t> AsInt64(const Json& v) {
  // Dispatch on type(): get_ptr<number_integer_t*> also answers for unsigned
  // values (is_number_integer() covers both) and would read the wrong member.
  if (v.type() == Json::value_t::number_integer) {
    return *v.get_ptr<const Json::number_integer_t*>();
  }
  if (v.type() == Json::value_t::number_unsigned) {
    const auto u = *v.get_ptr<const Json::number_unsigned_t*>();
    if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(u);
    }
  }
  return std::nullopt;
}

// Reads typed fields out of one parsed message object. Each accessor returns
// false and records the error on the first problem, so message readers can
// chain them with &&. Strings are moved out of the tree, which is discarded
// afterwards.
class Reader {
 public:
  Reader(Json::object_t* object, const ParseLimits* limits) : object_(object), limits_(limits) {}

  const ParseError& error() const { return error_; }
  const ParseLimits* limits() const { return limits_; }
  // For checks beyond the type of a field.
  bool Reject(std::string field, const char* reason) { return Fail(std::move(field), reason); }

  bool String(const char* key, std::string* out) { return StringImpl(key, out, false); }
  bool OptString(const char* key, std::string* out) { return StringImpl(key, out, true); }
  bool Int(const char* key, int64_t* out) { return IntImpl(key, out, false); }
  bool OptInt(const char* key, int64_t* out) { return IntImpl(key, out, true); }
  bool OptBool(const char* key, bool* out);
  bool StreamId(const char* key, std::string* out);
  // Any JSON value, kept as compact text ("null" when absent); client input
  // is bounded by max_value_bytes.
  bool JsonText(const char* key, std::string* out);
  bool Event(EventFields* out);

 private:
  // The member named `key`; nullptr if absent (or null and `optional`).
  Json* Find(const char* key, bool optional) {
    const auto it = object_->find(key);
    if (it == object_->end() || (optional && it->second.is_null())) return nullptr;
    return &it->second;
  }
  bool Fail(std::string field, const char* reason) {
    error_ = ParseError{std::move(field), reason};
    return false;
  }
  bool StringImpl(const char* key, std::string* out, bool optional);
  bool IntImpl(const char* key, int64_t* out, bool optional);
  bool EventField(std::string_view name, Json* value, EventFields* out, bool* has_type);

  Json::object_t* object_;
  const ParseLimits* limits_;  // client input only; nullptr for server messages
  ParseError error_;
};

bool Reader::StringImpl(const char* key, std::string* out, bool optional) {
  Json* v = Find(key, optional);
  if (v == nullptr) return optional || Fail(key, "missing");
  auto* s = v->get_ptr<Json::string_t*>();
  if (s == nullptr) return Fail(key, "not a string");
  *out = std::move(*s);
  return true;
}

bool Reader::IntImpl(const char* key, int64_t* out, bool optional) {
  Json* v = Find(key, optional);
  if (v == nullptr) return optional || Fail(key, "missing");
  const std::optional<int64_t> i = AsInt64(*v);
  if (!i) return Fail(key, "not an integer");
  *out = *i;
  return true;
}

bool Reader::OptBool(const char* key, bool* out) {
  Json* v = Find(key, true);
  if (v == nullptr) return true;
  const auto* b = v->get_ptr<const Json::boolean_t*>();
  if (b == nullptr) return Fail(key, "not a boolean");
  *out = *b;
  return true;
}

bool Reader::StreamId(const char* key, std::string* out) {
  if (!String(key, out)) return false;
  return IsStreamId(*out) || Fail(key, "not a stream id");
}

bool Reader::JsonText(const char* key, std::string* out) {
  Json* v = Find(key, true);
  *out = v == nullptr ? "null" : v->dump(-1, ' ', false, Json::error_handler_t::replace);
  if (limits_ != nullptr && out->size() > limits_->max_value_bytes) return Fail(key, "too long");
  return true;
}

bool Reader::Event(EventFields* out) {
  Json* v = Find("event", false);
  if (v == nullptr) return Fail("event", "missing");
  auto* fields = v->get_ptr<Json::object_t*>();
  if (fields == nullptr) return Fail("event", "not an object");
  if (limits_ != nullptr && fields->size() > limits_->max_event_fields) {
    return Fail("event", "too many fields");
  }
  out->clear();
  out->reserve(fields->size());
  bool has_type = false;
  for (auto& [name, value] : *fields) {
    if (!EventField(name, &value, out, &has_type)) return false;
  }
  return has_type || Fail("event.type", "missing");
}

bool Reader::EventField(std::string_view name, Json* value, EventFields* out, bool* has_type) {
  auto* s = value->get_ptr<Json::string_t*>();
  if (s == nullptr) return Fail("event." + Truncate(name), "not a string");
  if (limits_ != nullptr && name.empty()) return Fail("event", "empty field name");
  if (limits_ != nullptr && s->size() > limits_->max_value_bytes)
    return Fail("event." + Truncate(name), "too long");
  if (limits_ != nullptr && IsServerField(name))
    return Fail("event." + Truncate(name), "reserved for the server");
  if (name == "type") {
    if (s->empty()) return Fail("event.type", "empty");
    *has_type = true;
  }
  out->emplace_back(std::string(name), std::move(*s));
  return true;
}

// ---- Per-type readers (the envelope's "type" and "ts" are already read) ----

bool ReadBody(Reader& r, Handshake* m) {
  return r.String("msg", &m->msg) && r.OptString("protocol", &m->protocol);
}
bool ReadBody(Reader& r, ClientAck* m) {
  return r.StreamId("eventId", &m->event_id);
}
bool ReadMessageId(Reader& r, std::string* id) {
  if (!r.String("id", id)) return false;
  if (id->empty()) return r.Reject("id", "empty");
  if (r.limits() != nullptr && id->size() > r.limits()->max_id_bytes) {
    return r.Reject("id", "too long");
  }
  return true;
}
bool ReadBody(Reader& r, ClientEvent* m) {
  if (!ReadMessageId(r, &m->id) || !r.OptString("to", &m->to)) return false;
  if (r.limits() != nullptr && !m->to.empty() && !IsValidTarget(m->to))
    return r.Reject("to", "not a client id or group:<name>");
  return r.Event(&m->event);
}
bool ReadBody(Reader& r, Request* m) {
  if (!ReadMessageId(r, &m->id) || !r.String("method", &m->method)) return false;
  if (!IsValidMethod(m->method)) return r.Reject("method", "not 1-64 of A-Z a-z 0-9 _ . -");
  return r.JsonText("params", &m->params);
}
bool ReadBody(Reader&, Ping*) {
  return true;
}
bool ReadBody(Reader& r, Pong* m) {
  return r.OptInt("echo", &m->echo);
}
bool ReadBody(Reader& r, Welcome* m) {
  return r.String("client", &m->client) && r.String("node", &m->node) &&
         r.String("session", &m->session) && r.Int("heartbeatMs", &m->heartbeat_ms) &&
         r.Int("window", &m->window) && r.Int("maxFrameBytes", &m->max_frame_bytes);
}
bool ReadBody(Reader& r, ServerEvent* m) {
  return r.StreamId("eventId", &m->event_id) && r.OptInt("attempt", &m->attempt) &&
         r.Event(&m->event);
}
bool ReadBody(Reader& r, ServerAck* m) {
  return r.String("id", &m->id);
}
bool ReadBody(Reader& r, Error* m) {
  return r.String("code", &m->code) && r.String("message", &m->message) &&
         r.OptBool("retry", &m->retry) && r.OptString("id", &m->id) &&
         r.OptString("eventId", &m->event_id);
}
bool ReadBody(Reader& r, Goaway* m) {
  return r.String("reason", &m->reason) && r.OptInt("reconnectMs", &m->reconnect_ms);
}

// ---- Envelope and dispatch ---------------------------------------------------

struct Envelope {
  Json json;
  Json::object_t* object = nullptr;
  std::string type;
};

// Parses the text and reads "type", which selects the message reader.
std::optional<ParseError> ParseEnvelope(std::string_view text, Envelope* env) {
  if (!NestingWithinLimit(text)) return ParseError{"", "too deeply nested"};
  env->json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (env->json.is_discarded()) return ParseError{"", "invalid JSON"};
  env->object = env->json.get_ptr<Json::object_t*>();
  if (env->object == nullptr) return ParseError{"", "not an object"};
  Reader r(env->object, nullptr);
  if (!r.String("type", &env->type)) return r.error();
  return std::nullopt;
}

template <class T, class Out>
Parsed<Out> ReadMessage(Envelope& env, const ParseLimits* limits = nullptr) {
  Reader r(env.object, limits);
  T m;
  if (!r.Int("ts", &m.ts) || !ReadBody(r, &m)) return r.error();
  return Parsed<Out>(std::in_place_index<0>, std::move(m));
}

ParseError UnknownType(std::string_view type) {
  return ParseError{"type", "unknown type '" + Truncate(type) + "'"};
}

// The readers only allocate and never throw on bad input, but a parse must
// not take the process down even when memory runs out.
template <class Out, class F>
Parsed<Out> NoThrow(F&& parse) noexcept {
  try {
    return parse();
  } catch (const std::bad_alloc&) {
    return ParseError{"", "out of memory"};
  } catch (...) {
    return ParseError{"", "internal error"};
  }
}

// The hot path: nearly every client message is an ack of this simple shape,
// read without building a tree. Anything else, valid or not, returns nothing
// and goes to the general parser, which agrees on everything accepted here.
std::optional<ClientAck> SimpleAck(std::string_view json) {
  FlatObject object;
  if (!object.Scan(json)) return std::nullopt;
  const FlatObject::Member* type = object.Find("type");
  const FlatObject::Member* ts = object.Find("ts");
  const FlatObject::Member* id = object.Find("eventId");
  if (type == nullptr || !type->is_string() || type->text != "ack" || ts == nullptr ||
      !ts->is_integer() || id == nullptr || !id->is_string() || !IsStreamId(id->text))
    return std::nullopt;
  ClientAck ack;
  ack.event_id = std::string(id->text);
  ack.ts = ts->integer;
  return ack;
}

// The client's hot path: a server-event whose fields are plain strings.
std::optional<ServerEvent> SimpleServerEvent(std::string_view json) {
  FlatObject object;
  if (!object.Scan(json)) return std::nullopt;
  const FlatObject::Member* type = object.Find("type");
  const FlatObject::Member* ts = object.Find("ts");
  const FlatObject::Member* id = object.Find("eventId");
  const FlatObject::Member* attempt = object.Find("attempt");
  const FlatObject::Member* event = object.Find("event");
  if (type == nullptr || !type->is_string() || type->text != "server-event" || ts == nullptr ||
      !ts->is_integer() || id == nullptr || !id->is_string() || !IsStreamId(id->text) ||
      (attempt != nullptr && !attempt->is_integer()) || event == nullptr ||
      event->kind != FlatObject::Kind::Object)
    return std::nullopt;
  ServerEvent m;
  bool has_type = false;
  m.event.reserve(event->field_count);
  const FlatObject::Field* fields = object.Fields(*event);
  for (size_t i = 0; i < event->field_count; ++i) {
    if (fields[i].name == "type") {
      if (fields[i].value.empty()) return std::nullopt;
      has_type = true;
    }
    m.event.emplace_back(std::string(fields[i].name), std::string(fields[i].value));
  }
  if (!has_type) return std::nullopt;
  m.event_id = std::string(id->text);
  if (attempt != nullptr) m.attempt = attempt->integer;
  m.ts = ts->integer;
  return m;
}

}  // namespace

std::string ParseError::ToString() const {
  if (field.empty()) return reason;
  return "field '" + field + "': " + reason;
}

Parsed<Handshake> ParseHandshake(std::string_view json) {
  return NoThrow<Handshake>([&]() -> Parsed<Handshake> {
    Envelope env;
    if (auto err = ParseEnvelope(json, &env)) return *err;
    if (env.type == "handshake") return ReadMessage<Handshake, Handshake>(env);
    return UnknownType(env.type);
  });
}

Parsed<ClientMessage> ParseClientMessage(std::string_view json, const ParseLimits& limits) {
  return NoThrow<ClientMessage>([&]() -> Parsed<ClientMessage> {
    if (std::optional<ClientAck> ack = SimpleAck(json))
      return Parsed<ClientMessage>(std::in_place_index<0>, ClientMessage(std::move(*ack)));
    return ParseClientMessageTree(json, limits);
  });
}

Parsed<ClientMessage> ParseClientMessageTree(std::string_view json, const ParseLimits& limits) {
  return NoThrow<ClientMessage>([&]() -> Parsed<ClientMessage> {
    Envelope env;
    if (auto err = ParseEnvelope(json, &env)) return *err;
    const std::string& t = env.type;
    if (t == "client-event") return ReadMessage<ClientEvent, ClientMessage>(env, &limits);
    if (t == "ack") return ReadMessage<ClientAck, ClientMessage>(env, &limits);
    if (t == "request") return ReadMessage<Request, ClientMessage>(env, &limits);
    if (t == "ping") return ReadMessage<Ping, ClientMessage>(env, &limits);
    if (t == "pong") return ReadMessage<Pong, ClientMessage>(env, &limits);
    return UnknownType(t);
  });
}

Parsed<ServerMessage> ParseServerMessage(std::string_view json) {
  return NoThrow<ServerMessage>([&]() -> Parsed<ServerMessage> {
    if (std::optional<ServerEvent> event = SimpleServerEvent(json))
      return Parsed<ServerMessage>(std::in_place_index<0>, ServerMessage(std::move(*event)));
    return ParseServerMessageTree(json);
  });
}

Parsed<ServerMessage> ParseServerMessageTree(std::string_view json) {
  return NoThrow<ServerMessage>([&]() -> Parsed<ServerMessage> {
    Envelope env;
    if (auto err = ParseEnvelope(json, &env)) return *err;
    const std::string& t = env.type;
    if (t == "server-event") return ReadMessage<ServerEvent, ServerMessage>(env);
    if (t == "ack") return ReadMessage<ServerAck, ServerMessage>(env);
    if (t == "ping") return ReadMessage<Ping, ServerMessage>(env);
    if (t == "pong") return ReadMessage<Pong, ServerMessage>(env);
    if (t == "welcome") return ReadMessage<Welcome, ServerMessage>(env);
    if (t == "error") return ReadMessage<Error, ServerMessage>(env);
    if (t == "goaway") return ReadMessage<Goaway, ServerMessage>(env);
    return UnknownType(t);
  });
}

}  // namespace sp::proto
