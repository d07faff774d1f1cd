// Pieces shared by the `sealpost` subcommands and `sealpost-sim`: the common
// flags (each also read from a SEALPOST_* variable), error wording and output.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "client/sealpost_client.h"

namespace sealpost::cli {

struct CommonFlags {
  std::string server = "127.0.0.1:9300";
  std::string server_pk;
  std::string known_servers;  // default: ~/.sealpost/known_servers when no server_pk
  std::string server_name;    // the known-servers entry's name (default: each --server entry)
  std::string key;
  std::string redis = "redis://127.0.0.1:6379/0";
  std::string redis_password_file;  // non-empty: replaces the URL's password
  std::string key_prefix = "sp:";
  std::string id;
  std::string protocol = "Noise_XX_25519_AESGCM_SHA256";
  bool verbose = false;
};

enum FlagGroup : unsigned {
  kServerFlags = 1,  // --server --server-pk --known-servers --protocol
  kRedisFlags = 2,   // --redis --redis-password-file --key-prefix
  kIdFlag = 4,       // --id
  kKeyFlag = 8,      // --key
};

void AddCommonFlags(CLI::App* app, CommonFlags* flags, unsigned groups);

// Options for a client of the flags' server with the flags' id and key file
// (default ~/.sealpost/<id>.key, created on first use).
ClientOptions ClientOptionsFrom(const CommonFlags& flags);

// One line for a person: "connection refused", "server key mismatch",
// "not provisioned", "timed out", ... Never contains key material.
std::string Describe(const ClientError& error);

// "3s", "500ms", "2m", "1.5" (seconds) -> milliseconds; false when malformed.
bool ParseDuration(std::string_view text, uint64_t* ms);

// JSON text that survives invalid UTF-8 in event data.
std::string Dump(const nlohmann::ordered_json& j);

// {"eventId","type","data","ts","attempt",...other fields} for one event.
std::string EventLine(const Event& event);

// "2026-12-03T09:00:00.123Z" for ms since the epoch.
std::string IsoTime(int64_t ms);

// Writes `line` and a newline to stdout and flushes (pipes see it at once).
void PrintLine(std::string_view line);
// Writes a one-line error to stderr; returns 1 (the error exit code).
int Fail(std::string_view message);

}  // namespace sealpost::cli
