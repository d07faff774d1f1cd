// Message schemas of sealpost/1 (docs/PROTOCOL.md). Every message is a JSON
// object with a "type" and a "ts" (milliseconds since the Unix epoch).
// Parsing never throws: a wrong or missing field is a ParseError naming it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sp::proto {

// Ordered string fields of an event, as in a Redis stream entry.
using EventFields = std::vector<std::pair<std::string, std::string>>;

// ---- Before the handshake completes (plaintext JSON frames) ----------------

// {"type":"handshake","ts":..,"msg":"<base64>"[,"protocol":"Noise_XX_..."]}
// "protocol" is present in the first message only (client -> server).
struct Handshake {
  std::string protocol;  // empty when absent
  std::string msg;       // base64 of the Noise handshake message
  int64_t ts = 0;
  bool operator==(const Handshake&) const = default;
};

// ---- Client -> server (inside Noise transport messages) ---------------------
// kCountsTowardRate: whether the server counts the message against the
// client's message rate. Acks of events in flight answer what the server sent
// (bounded by the window); everything else is counted, pongs too: the server
// does not match them to its pings, so they could come at any rate.

// {"type":"ack","ts":..,"eventId":"1700000000000-0"}
struct ClientAck {
  static constexpr bool kCountsTowardRate = false;
  std::string event_id;
  int64_t ts = 0;
  bool operator==(const ClientAck&) const = default;
};
// {"type":"client-event","ts":..,"id":"c-1"[,"to":"102"|"group:lobby"],
//  "event":{"type":"t","data":"d",...}}
// "event" is an object of string values; "type" is required in it, and the
// names the server writes itself (IsServerField) are refused. Without "to"
// it goes to sp:inbound; with it, to that client or group (PROTOCOL.md §6).
struct ClientEvent {
  static constexpr bool kCountsTowardRate = true;
  std::string id;
  std::string to;  // empty: sp:inbound
  EventFields event;
  int64_t ts = 0;
  bool operator==(const ClientEvent&) const = default;
};
// {"type":"request","ts":..,"id":"c-2","method":"echo"[,"params":<any JSON>]}
// `params` is kept as compact JSON text ("null" when absent).
struct Request {
  static constexpr bool kCountsTowardRate = true;
  std::string id;
  std::string method;
  std::string params = "null";
  int64_t ts = 0;
  bool operator==(const Request&) const = default;
};
// {"type":"ping","ts":..} and {"type":"pong","ts":..,"echo":<ping ts>}
struct Ping {
  static constexpr bool kCountsTowardRate = true;
  int64_t ts = 0;
  bool operator==(const Ping&) const = default;
};
struct Pong {
  static constexpr bool kCountsTowardRate = true;
  int64_t ts = 0;
  int64_t echo = 0;  // ts of the ping this answers (0 if absent)
  bool operator==(const Pong&) const = default;
};

// ---- Server -> client ------------------------------------------------------

// {"type":"welcome","ts":..,"client":"101","node":"n1","session":"..",
//  "heartbeatMs":5000,"window":64,"maxFrameBytes":65536}
struct Welcome {
  std::string client;
  std::string node;
  std::string session;
  int64_t heartbeat_ms = 0;
  int64_t window = 0;
  int64_t max_frame_bytes = 0;
  int64_t ts = 0;
  bool operator==(const Welcome&) const = default;
};
// {"type":"server-event","ts":..,"eventId":"..","attempt":1,"event":{"type":..,"data":..}}
struct ServerEvent {
  std::string event_id;
  int64_t attempt = 1;
  EventFields event;
  int64_t ts = 0;
  bool operator==(const ServerEvent&) const = default;
};
// {"type":"ack","ts":..,"id":"c-1"}: the client-event with this id is in Redis.
struct ServerAck {
  std::string id;
  int64_t ts = 0;
  bool operator==(const ServerAck&) const = default;
};
// {"type":"error","ts":..,"code":"..","message":"..","retry":false[,"id":..][,"eventId":..]}
struct Error {
  std::string code;
  std::string message;
  bool retry = false;    // true: the same request may succeed later
  std::string id;        // the client-event this answers, if any
  std::string event_id;  // the ack this answers, if any
  int64_t ts = 0;
  bool operator==(const Error&) const = default;
};
// {"type":"goaway","ts":..,"reason":"shutdown","reconnectMs":1234}
struct Goaway {
  std::string reason;
  int64_t reconnect_ms = 0;
  int64_t ts = 0;
  bool operator==(const Goaway&) const = default;
};

using ClientMessage = std::variant<ClientAck, ClientEvent, Request, Ping, Pong>;
using ServerMessage = std::variant<Welcome, ServerEvent, ServerAck, Error, Goaway, Ping, Pong>;

struct ParseError {
  std::string field;   // "type", "event.type", "eventId", ... ("" for bad JSON)
  std::string reason;  // "missing", "not a string", "invalid JSON", "unknown type", ...
  std::string ToString() const;
  bool operator==(const ParseError&) const = default;
};

template <class T>
using Parsed = std::variant<T, ParseError>;

// Field names the server writes into a client's inbound entry (and, for
// direct and group messages, "from" and "to"). A client-event may not carry them: stream
// readers that keep the last value of a repeated field would believe the
// client's copy, so one client could speak for another.
bool IsServerField(std::string_view name);

// Limits applied while parsing client input (the server passes its config).
// Where a client-event may be sent: a client id, or "group:" and a group
// name (same alphabet and length as a client id).
constexpr std::string_view kGroupPrefix = "group:";
bool IsValidTarget(std::string_view to);
// A request method: the alphabet and length of a client id.
bool IsValidMethod(std::string_view method);

struct ParseLimits {
  size_t max_event_fields = 32;
  size_t max_id_bytes = 128;
  size_t max_value_bytes = 32768;  // one value of a client-event's "event"
};

Parsed<Handshake> ParseHandshake(std::string_view json);
Parsed<ClientMessage> ParseClientMessage(std::string_view json, const ParseLimits& limits = {});
// The general parser alone, without the fast path for simple acks that
// ParseClientMessage tries first (tests hold the two to the same answers).
Parsed<ClientMessage> ParseClientMessageTree(std::string_view json, const ParseLimits& limits = {});
Parsed<ServerMessage> ParseServerMessage(std::string_view json);
// Likewise without the fast path for simple server-events.
Parsed<ServerMessage> ParseServerMessageTree(std::string_view json);

std::string Serialize(const Handshake& m);
std::string Serialize(const ClientAck& m);
std::string Serialize(const ClientEvent& m);
std::string Serialize(const Request& m);
std::string Serialize(const Ping& m);
std::string Serialize(const Pong& m);
std::string Serialize(const Welcome& m);
std::string Serialize(const ServerEvent& m);
// The same server-event appended to `out`, from the parts a delivery keeps
// (no ServerEvent, so no copy of the fields per send).
void AppendServerEvent(std::string_view event_id, int64_t attempt, const EventFields& event,
                       int64_t ts, std::string* out);
std::string Serialize(const ServerAck& m);
std::string Serialize(const Error& m);
std::string Serialize(const Goaway& m);

// Milliseconds since the Unix epoch (wall clock), for "ts".
int64_t NowMs();

// An error message stamped now.
Error MakeError(std::string_view code, std::string message, bool retry = false);

}  // namespace sp::proto
