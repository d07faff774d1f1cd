// sealpost client library: one Client per client id, running on a libuv loop
// that the caller owns, so one process can hold thousands of clients.
//
// A Client connects to a sealpost/1 server, authenticates with Noise_XX
// against a pinned (or first-use recorded) server key, and then:
//  - hands every server-event to on_event once (duplicates by eventId are
//    dropped within a bounded window) and acknowledges it after the callback;
//  - answers pings, reconnects with jittered backoff, honours goaway;
//  - keeps every SendEvent() until the server acknowledges it, resending after
//    a reconnect or a retryable error.
// All callbacks run on the loop thread. The Client is not thread-safe.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/keys.h"

namespace sealpost {

// Ordered string fields of an event ("type" and "data" first).
using Fields = std::vector<std::pair<std::string, std::string>>;

// Error codes produced by the client itself; server codes (shared/protocol.h)
// such as "unknown_client" or "client_disabled" are passed through unchanged.
namespace errors {
constexpr std::string_view kConnectionRefused = "connection_refused";
constexpr std::string_view kConnectFailed = "connect_failed";  // other socket errors
constexpr std::string_view kTimeout = "timeout";               // connect or handshake too slow
constexpr std::string_view kServerKeyMismatch = "server_key_mismatch";
constexpr std::string_view kConnectionLost = "connection_lost";
constexpr std::string_view kProtocol = "protocol_error";  // the server broke sealpost/1
constexpr std::string_view kQueueFull = "queue_full";
constexpr std::string_view kTooLarge = "event_too_large";
}  // namespace errors

struct Event {
  std::string event_id;  // Redis stream id, unique per client
  int64_t attempt = 1;   // delivery attempt as counted by the server
  int64_t ts = 0;        // server send time, ms since the epoch
  Fields fields;
  // Value of a field, or "" when absent.
  std::string_view Get(std::string_view name) const;
};

struct Welcome {
  std::string client;
  std::string node;
  std::string session;
  int64_t heartbeat_ms = 0;
  int64_t window = 0;
  int64_t max_frame_bytes = 0;
  std::string server;  // the entry of the server list this session is on
};

struct ClientError {
  std::string code;      // errors::* or a server error code
  std::string message;   // human readable, never contains key material
  bool retry = false;    // the client tries again by itself
  bool fatal = false;    // the client stopped and will not reconnect
  std::string id;        // the SendEvent() id this concerns, if any
  std::string event_id;  // the server event this concerns, if any
};

// The answer to Client::Request(): every reply event in arrival order (the
// final one last), or why there is none.
struct Reply {
  std::string request_id;
  std::vector<Event> parts;
  ClientError error;  // code empty on success: errors::kTimeout or the server's refusal
  explicit operator bool() const { return error.code.empty(); }
  // The final reply event; only valid when the request succeeded.
  const Event& Final() const { return parts.back(); }
};

struct RequestOptions {
  uint64_t timeout_ms = 10000;  // from the call until the final reply
  // Each partial reply ("last" = "0") as it arrives; it is also in Reply::parts.
  std::function<void(const Event&)> on_part;
};

struct ClientOptions {
  // host:port or [v6]:port, or several of them separated by commas
  // ("a:9300,b:9300"): nodes of one deployment, tried in turn.
  std::string server = "127.0.0.1:9300";
  // The same as a list; when not empty it is used and `server` is ignored.
  // Each attempt or session that ends (refused, timed out, lost, goaway, ...)
  // makes the next attempt go to the next server, round robin, starting at
  // `first_server` (-1: a random one, so many clients spread over the list).
  std::vector<std::string> servers;
  int first_server = -1;
  // The server's static public key (base64), the same for every server of
  // the list. When empty, known_servers_file is used: the key seen first is
  // recorded there and a changed key refused.
  std::string server_public_key;
  std::string known_servers_file;
  // The name the known-servers file keys the servers by (default: each
  // server's entry as given, so each has its own line). Give the same name
  // for a server reached by name and by address, or for all nodes of one
  // deployment, and their key is one entry.
  std::string server_name;
  std::string client_id;
  // Static key: `key` when set (in-memory keys, e.g. the simulator), else
  // key_file, created with mode 0600 on first use.
  std::shared_ptr<const sp::crypto::KeyPair> key;
  std::string key_file;
  std::string protocol = "Noise_XX_25519_AESGCM_SHA256";
  // Reconnect delay: uniform in [min, min(max, min * 2^failures)]. The
  // failures are counted until a session stays up for healthy_session_ms
  // (or ends with a goaway): a server that welcomes and then drops us at once
  // is not retried at the minimum delay for ever. A session that lasted that
  // long already bounds the reconnect rate, so a second is enough; longer
  // would slow the return from nodes that fail every few seconds.
  uint64_t backoff_min_ms = 200;
  uint64_t backoff_max_ms = 30000;
  uint64_t healthy_session_ms = 1000;
  uint64_t connect_timeout_ms = 10000;  // TCP connect + handshake + welcome
  // Silence from the server for this long means the link is dead. 0: three
  // heartbeat intervals as announced in welcome (at least 5 s).
  uint64_t idle_timeout_ms = 0;
  size_t send_queue_limit = 1000;  // SendEvent() events not yet acknowledged
  size_t dedup_window = 1024;      // eventIds remembered to drop duplicates
  std::string bind_host;           // source address for the socket (optional)
  // Load testing only: write each handshake frame in this many pieces with
  // random pauses of up to split_delay_ms between them.
  unsigned split_handshake_pieces = 1;
  unsigned split_delay_ms = 20;
};

struct ClientCallbacks {
  std::function<void(const Welcome&)> on_connected;
  // When unset, server-events are neither delivered nor acknowledged (they
  // stay with the server for another session, e.g. a listener).
  std::function<void(const Event&)> on_event;
  // A SendEvent() id is stored by the server.
  std::function<void(const std::string& id)> on_event_ack;
  std::function<void(const ClientError&)> on_error;
  // An established session ended (the client reconnects unless stopped).
  std::function<void(const std::string& reason)> on_disconnected;
  // Trust on first use: the server's key was seen for the first time and
  // recorded under `server` in `file`. Show it to the user, who should compare
  // it with the key the server logged (`server.public_key pk=...`).
  std::function<void(const std::string& server, const std::string& key_b64,
                     const std::string& file)>
      on_server_key_recorded;
  // The ack for this eventId reached the socket (its write completed).
  std::function<void(const std::string& event_id)> on_ack_written;
};

struct ClientStats {
  uint64_t connects = 0;            // sessions welcomed
  uint64_t attempts = 0;            // TCP connection attempts
  uint64_t handshake_failures = 0;  // attempts that reached TCP but no welcome
  uint64_t events = 0;              // delivered to on_event
  uint64_t duplicates = 0;          // dropped by eventId
  uint64_t sends_acked = 0;
  uint64_t errors = 0;
};

class Client {
 public:
  Client(uv_loop_t* loop, ClientOptions options, ClientCallbacks callbacks);
  // Stops without further callbacks. Handles close asynchronously: keep
  // running the loop afterwards so their memory is released.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Loads or creates the key, checks the options and starts connecting.
  // False (with a one-line reason) when the options cannot work at all.
  [[nodiscard]] bool Start(std::string* error);
  // Closes the connection and stops reconnecting; queued events are kept.
  void Stop();
  // Drops the current connection and connects again at once (load tests).
  void Reconnect();
  // While paused, arriving server-events are neither delivered nor
  // acknowledged: the server redelivers them later (to this or another session).
  void PauseEvents(bool paused);

  struct SendResult {
    std::string id;     // unique id of the client-event when accepted
    std::string error;  // why it was refused (queue full, too large, ...)
    explicit operator bool() const { return error.empty(); }
  };
  SendResult SendEvent(std::string type, std::string data, Fields extra = {});
  // The same to another client ("102") or a group ("group:lobby"); the
  // server stores a copy in each target's stream, with "from" = our id.
  // Refusals (unknown_target, forbidden, ...) come to on_error with the id.
  SendResult SendEventTo(std::string to, std::string type, std::string data, Fields extra = {});
  // Asks a worker (or the server: echo, time, who) and calls `on_reply`
  // once, with the final reply or the error. `params_json` is any JSON text
  // (empty: null). Kept and resent until the server stores it, like
  // SendEvent; replies are matched by "re" and never reach on_event.
  SendResult Request(std::string method, std::string params_json,
                     std::function<void(const Reply&)> on_reply, RequestOptions options = {});

  bool IsConnected() const;
  size_t PendingSends() const;
  const ClientStats& Stats() const;
  const std::string& Id() const;

  class Impl;

 private:
  Impl* impl_;  // deletes itself once its libuv handles are closed
};

}  // namespace sealpost
