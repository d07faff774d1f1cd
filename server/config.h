// Server configuration: defaults < .env file < SEALPOST_* environment
// variables < command-line flags. Every option is listed in .env.example.
#pragma once

#include <string>

#include "connections/settings.h"
#include "services/services.h"

namespace sp::server {

struct Config {
  // Where to listen and what to read, and how to log.
  std::string listen = "0.0.0.0:9300";
  int listen_backlog = 4096;
  std::string metrics_listen;  // empty: no metrics endpoint
  size_t metrics_max_connections = 64;
  uint64_t metrics_timeout_ms = 2000;
  size_t status_sample_clients = 10000;
  std::string redis_url = "redis://127.0.0.1:6379/0";
  std::string redis_password_file;  // non-empty: the password, replacing the URL's
  std::string key_file = "sealpost-server.key";
  std::string log_level = "info";
  std::string log_format = "text";
  // Processes serving clients on the one --listen port (0 = one per core).
  // More than one: this process supervises them and serves no client itself.
  int workers = 0;
  // Set only in a worker started by a supervisor (hidden flags): its index
  // and the supervisor's pid, to notice the supervisor's death.
  int worker_index = -1;
  int supervisor_pid = 0;
  // Bounds, timings and identity of the connection layer (identity is
  // filled from node_id and listen once parsing is done).
  std::string node_id;  // default: hostname-pid
  connections::Settings connections;
  // Redis keys and their lifetimes (the endpoint comes from redis_url).
  services::ServicesConfig services;
};

// Parses everything; on error prints a clear message and returns false with
// *exit_code set (0 for --help).
[[nodiscard]] bool LoadConfig(int argc, char** argv, Config* out, int* exit_code);

// How many workers --workers 0 means: the CPUs this process may run on.
int DefaultWorkers();

// host:port (IPv4, [IPv6] or a name that resolves); false on bad input.
[[nodiscard]] bool SplitHostPort(const std::string& text, std::string* host, int* port);

}  // namespace sp::server
