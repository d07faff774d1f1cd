#include "server/config.h"

#include <sched.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "shared/messages.h"

namespace sp::server {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Loads KEY=VALUE lines from `path` into the environment without overriding
// variables already set, so the environment wins over the file.
bool ApplyEnvFile(const std::string& path, bool required) {
  std::ifstream in(path);
  if (!in) {
    if (required) std::cerr << "sealpost-server: cannot read env file " << path << "\n";
    return !required;
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = Trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      std::cerr << "sealpost-server: " << path << ":" << number << ": expected KEY=VALUE\n";
      return false;
    }
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (key.rfind("SEALPOST_", 0) == 0) setenv(key.c_str(), value.c_str(), /*overwrite=*/0);
  }
  return true;
}

// A worker names itself after its supervisor (hostname-<supervisor pid>), so
// all workers of one node share a recognisable prefix.
std::string DefaultNodeId(pid_t pid) {
  char host[256] = "node";
  gethostname(host, sizeof host - 1);
  return std::string(host).append("-").append(std::to_string(pid));
}

}  // namespace

int DefaultWorkers() {
  // The affinity mask, not the machine: a container or `taskset` may allow fewer.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  char* end = nullptr;
  long p = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) return false;
  *host = h.empty() ? "0.0.0.0" : h;
  *port = static_cast<int>(p);
  return true;
}

bool LoadConfig(int argc, char** argv, Config* c, int* exit_code) {
  // The env file is found before CLI11 parses, so its values act as env vars.
  std::string env_file = ".env";
  bool env_file_given = false;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--env-file") env_file = argv[i + 1], env_file_given = true;
  }
  if (const char* e = std::getenv("SEALPOST_ENV_FILE")) env_file = e, env_file_given = true;
  if (!ApplyEnvFile(env_file, env_file_given)) {
    *exit_code = 2;
    return false;
  }

  connections::Bounds& b = c->connections.bounds;
  connections::Timings& t = c->connections.timings;
  services::ServicesConfig& sc = c->services;
  CLI::App app{"sealpost-server: encrypted event delivery from Redis streams"};
  std::string unused_env_file;
  app.add_option("--env-file", unused_env_file, "Read SEALPOST_* settings from this file")
      ->envname("SEALPOST_ENV_FILE");
  auto opt = [&](const char* flag, auto& value, const char* env, const char* help) {
    app.add_option(flag, value, help)->envname(env)->capture_default_str();
  };
  // Addresses, files, logging.
  opt("--listen", c->listen, "SEALPOST_LISTEN", "Client listen address HOST:PORT");
  opt("--listen-backlog", c->listen_backlog, "SEALPOST_LISTEN_BACKLOG", "TCP accept backlog");
  opt("--metrics-listen", c->metrics_listen, "SEALPOST_METRICS_LISTEN",
      "Operator endpoint HOST:PORT: /metrics, /healthz, /readyz, status page at / (empty: off)");
  opt("--metrics-max-connections", c->metrics_max_connections, "SEALPOST_METRICS_MAX_CONNECTIONS",
      "Open connections to the operator endpoint; a new one evicts the oldest still idle");
  opt("--metrics-timeout-ms", c->metrics_timeout_ms, "SEALPOST_METRICS_TIMEOUT_MS",
      "An operator endpoint request must arrive and be answered within this");
  opt("--status-sample-clients", c->status_sample_clients, "SEALPOST_STATUS_SAMPLE_CLIENTS",
      "Sessions whose queue depth the status page reads from Redis per refresh");
  opt("--redis", c->redis_url, "SEALPOST_REDIS_URL",
      "Redis: redis://[:pass@]host:port[/db], redis+cluster://host:port[,host:port...] or "
      "redis+sentinel://host:port[,host:port...]/<master>[/db]");
  opt("--redis-password-file", c->redis_password_file, "SEALPOST_REDIS_PASSWORD_FILE",
      "Read the Redis password from this file's first line (replaces the URL's password)");
  opt("--key-file", c->key_file, "SEALPOST_KEY_FILE",
      "Server static key file (created 0600 if missing)");
  opt("--log-level", c->log_level, "SEALPOST_LOG_LEVEL", "debug, info, warn, error or off");
  opt("--log-format", c->log_format, "SEALPOST_LOG_FORMAT", "text or json");
  opt("--workers", c->workers, "SEALPOST_WORKERS",
      "Processes serving clients on the one --listen port (SO_REUSEPORT), supervised and "
      "restarted when they die (0: one per CPU; 1: this process alone, no supervisor)");
  // Internal: how a supervisor starts its workers. Hidden from --help.
  app.add_option("--internal-worker-index", c->worker_index)->group("");
  app.add_option("--internal-supervisor-pid", c->supervisor_pid)->group("");
  // Identity and Redis keys.
  opt("--node-id", c->node_id, "SEALPOST_NODE_ID", "Node name in presence (default host-pid)");
  opt("--key-prefix", sc.key_prefix, "SEALPOST_KEY_PREFIX", "Prefix of every Redis key");
  opt("--inbound-max-len", sc.inbound.max_len, "SEALPOST_INBOUND_MAX_LEN",
      "Trim sp:inbound (each shard) to about this many entries (0: never; raise it if workers "
      "fall behind)");
  opt("--inbound-shards", sc.inbound_shards, "SEALPOST_INBOUND_SHARDS",
      "Split sp:inbound and sp:requests:<method> into this many streams sp:inbound:{0}.. by "
      "client id (0: 16 on redis+cluster://, else 1; every node and worker must agree)");
  opt("--inbound-dedupe-window-ms", sc.inbound.dedupe_window_ms,
      "SEALPOST_INBOUND_DEDUPE_WINDOW_MS",
      "A client-event id resent within this long is acked, not stored again (0: off)");
  opt("--inbound-dedupe-ids", sc.inbound.dedupe_max_ids, "SEALPOST_INBOUND_DEDUPE_IDS",
      "At most this many recent client-event ids remembered per client (0: off)");
  // Messaging between clients.
  std::string direct_policy = "any";
  std::string group_policy = "member";
  std::string request_methods;
  opt("--direct-policy", direct_policy, "SEALPOST_DIRECT_POLICY",
      "Direct messages for clients whose record has no 'direct': any, none or group:<name>");
  opt("--group-policy", group_policy, "SEALPOST_GROUP_POLICY",
      "Group messages for clients whose record has no 'groups': member, any or none");
  opt("--request-methods", request_methods, "SEALPOST_REQUEST_METHODS",
      "Comma-separated request methods stored for workers (empty: any valid name)");
  opt("--max-group-members", sc.max_group_members, "SEALPOST_MAX_GROUP_MEMBERS",
      "A message to a larger group is refused (group_too_large)");
  opt("--max-queued-events", sc.mailbox.max_queued, "SEALPOST_MAX_QUEUED_EVENTS",
      "A client's stream holding this many undelivered events refuses direct and group "
      "messages (target_full; 0: no cap)");
  opt("--node-ttl-ms", sc.node_ttl_ms, "SEALPOST_NODE_TTL_MS",
      "Node registry entry expires this long after the last beat");
  // Bounds.
  opt("--max-connections", b.max_connections, "SEALPOST_MAX_CONNECTIONS",
      "Connections per node (each of several workers takes an equal share)");
  opt("--max-handshakes", b.max_handshakes, "SEALPOST_MAX_HANDSHAKES",
      "Handshakes in progress per process (per worker); further connections wait, unread, in "
      "arrival order");
  opt("--connect-rate-per-ip", b.connect_rate_per_ip, "SEALPOST_CONNECT_RATE_PER_IP",
      "New connections per second per IPv4 address or IPv6 /64 (burst 2x; 0: unlimited)");
  opt("--max-connections-per-ip", b.max_connections_per_ip, "SEALPOST_MAX_CONNECTIONS_PER_IP",
      "Connections open at once per IPv4 address or IPv6 /64 (0: no cap; raise it for large NATs)");
  opt("--max-waiting-handshakes-per-ip", b.max_waiting_handshakes_per_ip,
      "SEALPOST_MAX_WAITING_HANDSHAKES_PER_IP",
      "Handshakes per IPv4 address or IPv6 /64 waiting for a slot (0: no cap)");
  opt("--max-frame-bytes", b.max_frame_bytes, "SEALPOST_MAX_FRAME_BYTES",
      "Largest frame accepted or sent (encoded bytes)");
  opt("--max-handshake-payload-bytes", b.max_handshake_payload_bytes,
      "SEALPOST_MAX_HANDSHAKE_PAYLOAD_BYTES", "Largest payload of handshake message 3");
  opt("--max-write-queue-bytes", b.max_write_queue_bytes, "SEALPOST_MAX_WRITE_QUEUE_BYTES",
      "Close a connection whose unsent output exceeds this");
  opt("--inflight-window", b.inflight_window, "SEALPOST_INFLIGHT_WINDOW",
      "Unacked events per client");
  opt("--max-attempts", b.max_attempts, "SEALPOST_MAX_ATTEMPTS",
      "Deliveries before an event is dead-lettered");
  opt("--client-rate", b.client_rate_per_s, "SEALPOST_CLIENT_RATE",
      "Messages per second per client (burst 2x; 0: unlimited)");
  opt("--max-event-fields", b.max_event_fields, "SEALPOST_MAX_EVENT_FIELDS",
      "Fields in one client-event");
  opt("--max-event-value-bytes", b.max_event_value_bytes, "SEALPOST_MAX_EVENT_VALUE_BYTES",
      "Longest value in a client-event");
  opt("--inbound-events-per-s", b.inbound_events_per_s, "SEALPOST_INBOUND_EVENTS_PER_S",
      "Client-events per second per client (burst 2x; 0: none; quota_events_per_s overrides)");
  opt("--inbound-bytes-per-s", b.inbound_bytes_per_s, "SEALPOST_INBOUND_BYTES_PER_S",
      "Client-event bytes per second per client (burst 2x; 0: none; quota_bytes_per_s overrides)");
  opt("--inbound-events-per-day", b.inbound_events_per_day, "SEALPOST_INBOUND_EVENTS_PER_DAY",
      "Client-events per UTC day per client (0: none; quota_events_per_day overrides)");
  opt("--inbound-bytes-per-day", b.inbound_bytes_per_day, "SEALPOST_INBOUND_BYTES_PER_DAY",
      "Client-event bytes per UTC day per client (0: none; quota_bytes_per_day overrides)");
  opt("--max-id-bytes", b.max_id_bytes, "SEALPOST_MAX_ID_BYTES", "Longest id of a client-event");
  // Timings.
  opt("--handshake-timeout-ms", t.handshake_ms, "SEALPOST_HANDSHAKE_TIMEOUT_MS",
      "Close connections that do not finish the handshake in time");
  opt("--idle-timeout-ms", t.idle_ms, "SEALPOST_IDLE_TIMEOUT_MS",
      "Close connections that send nothing for this long");
  opt("--heartbeat-interval-ms", t.heartbeat_interval_ms, "SEALPOST_HEARTBEAT_INTERVAL_MS",
      "Server ping interval");
  opt("--heartbeat-timeout-ms", t.heartbeat_timeout_ms, "SEALPOST_HEARTBEAT_TIMEOUT_MS",
      "Close after this long without a pong");
  opt("--ack-timeout-ms", t.ack_timeout_ms, "SEALPOST_ACK_TIMEOUT_MS",
      "First resend of an unacked event after this");
  opt("--backoff-cap-ms", t.backoff_cap_ms, "SEALPOST_BACKOFF_CAP_MS", "Largest resend gap");
  opt("--close-grace-ms", t.close_grace_ms, "SEALPOST_CLOSE_GRACE_MS",
      "A closing connection may take this long to flush its last error");
  opt("--poll-interval-ms", t.poll_interval_ms, "SEALPOST_POLL_INTERVAL_MS",
      "Stream polling interval when keyspace notifications are refused");
  opt("--drain-timeout-ms", t.drain_ms, "SEALPOST_DRAIN_TIMEOUT_MS",
      "On SIGTERM, wait this long for outstanding acks");
  opt("--goaway-reconnect-ms", t.goaway_reconnect_ms, "SEALPOST_GOAWAY_RECONNECT_MS",
      "Clients are told to reconnect after about this long");
  opt("--usage-flush-ms", t.usage_flush_ms, "SEALPOST_USAGE_FLUSH_MS",
      "Usage counters are written to Redis this often");
  opt("--ack-flush-ms", t.ack_flush_ms, "SEALPOST_ACK_FLUSH_MS",
      "Acks are gathered this long and written to Redis in one call (0: every loop iteration)");
  opt("--node-beat-ms", t.node_beat_ms, "SEALPOST_NODE_BEAT_MS", "Node registry refresh interval");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return false;
  }
  if (c->workers < 0 || c->workers > 1024) {
    std::cerr << "sealpost-server: --workers is 0 (one per CPU) to 1024\n";
    *exit_code = 2;
    return false;
  }
  if (c->workers == 0) c->workers = DefaultWorkers();
  const bool worker = c->worker_index >= 0;
  if (c->node_id.empty()) c->node_id = DefaultNodeId(worker ? c->supervisor_pid : getpid());
  if (worker) {
    c->node_id.append("-w").append(std::to_string(c->worker_index));
    // --max-connections is for the node: each worker takes its share.
    size_t n = static_cast<size_t>(c->workers);
    b.max_connections = (b.max_connections + n - 1) / n;
  }
  // The node id travels in space-separated control messages and key names.
  for (char ch : c->node_id) {
    if (ch <= ' ' || ch == '{' || ch == '}' || ch == 0x7f) {
      std::cerr << "sealpost-server: --node-id must not contain spaces, braces or control "
                   "characters\n";
      *exit_code = 2;
      return false;
    }
  }
  connections::Messaging& m = c->connections.messaging;
  if (!connections::ParseDirectPolicy(direct_policy, &m.defaults) ||
      !connections::ParseGroupPolicy(group_policy, &m.defaults)) {
    std::cerr << "sealpost-server: --direct-policy is any, none or group:<name>; --group-policy "
                 "is member, any or none\n";
    *exit_code = 2;
    return false;
  }
  m.request_methods.clear();
  for (size_t start = 0; start < request_methods.size();) {
    size_t comma = request_methods.find(',', start);
    if (comma == std::string::npos) comma = request_methods.size();
    std::string method = Trim(request_methods.substr(start, comma - start));
    if (!proto::IsValidMethod(method)) {
      std::cerr << "sealpost-server: --request-methods: '" << method
                << "' is not 1-64 of A-Z a-z 0-9 _ . -\n";
      *exit_code = 2;
      return false;
    }
    m.request_methods.push_back(method);
    start = comma + 1;
  }
  // Direct and group messages are deduplicated like client-events.
  sc.mailbox.dedupe_window_ms = sc.inbound.dedupe_window_ms;
  sc.mailbox.dedupe_max_ids = sc.inbound.dedupe_max_ids;
  c->connections.identity.node = c->node_id;
  c->connections.identity.listen = c->listen;
  sc.node = c->node_id;
  std::string error;
  if (b.inflight_window == 0 || b.max_attempts == 0 || t.ack_timeout_ms == 0 ||
      b.max_frame_bytes < 256 || b.max_id_bytes == 0 || b.max_handshake_payload_bytes < 64 ||
      c->metrics_max_connections == 0 || c->metrics_timeout_ms == 0) {
    error =
        "inflight window, max attempts, ack timeout, max id bytes, metrics max connections and "
        "metrics timeout must be > 0; max frame >= 256; max handshake payload >= 64";
  }
  if (!error.empty()) {
    std::cerr << "sealpost-server: " << error << "\n";
    *exit_code = 2;
    return false;
  }
  return true;
}

}  // namespace sp::server
