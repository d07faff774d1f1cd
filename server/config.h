// Server configuration: defaults < .env file < SEALPOST_* environment
// variables < command-line flags. Every option is listed in .env.example.
#pragma once

#include <string>

#include "connections/limits.h"
#include "services/services.h"

namespace sp::server {

struct Config {
  std::string listen = "0.0.0.0:9300";
  std::string redis_url = "redis://127.0.0.1:6379/0";
  std::string key_prefix = "sp:";
  std::string key_file = "sealpost-server.key";
  std::string metrics_listen;  // empty: no metrics endpoint
  std::string log_level = "info";
  std::string log_format = "text";
  std::string node_id;  // default: hostname-pid
  size_t inbound_max_len = 0;
  uint64_t node_ttl_ms = 15000;
  int listen_backlog = 4096;
  connections::Limits limits;
};

// Parses everything; on error prints a clear message and returns false with
// *exit_code set (0 for --help).
[[nodiscard]] bool LoadConfig(int argc, char** argv, Config* out, int* exit_code);

// host:port (IPv4, [IPv6] or a name that resolves); false on bad input.
[[nodiscard]] bool SplitHostPort(const std::string& text, std::string* host, int* port);

}  // namespace sp::server
