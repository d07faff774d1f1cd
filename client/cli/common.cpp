#include "client/cli/common.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "client/trust_files.h"
#include "shared/protocol.h"

namespace sealpost::cli {

void AddCommonFlags(CLI::App* app, CommonFlags* f, unsigned groups) {
  if (groups & kServerFlags) {
    app->add_option("--server", f->server,
                    "Server HOST:PORT ([v6]:PORT), or several nodes of one deployment as "
                    "HOST:PORT,HOST:PORT: each failed attempt, lost session or goaway moves on "
                    "to the next, round robin from a random one")
        ->envname("SEALPOST_SERVER")
        ->capture_default_str();
    app->add_option("--server-pk", f->server_pk,
                    "Server public key (base64) to pin, for every server of --server")
        ->envname("SEALPOST_SERVER_PK");
    app->add_option("--known-servers", f->known_servers,
                    "Known-servers file used without --server-pk (trust on first use; "
                    "default ~/.sealpost/known_servers)")
        ->envname("SEALPOST_KNOWN_SERVERS");
    app->add_option("--server-name", f->server_name,
                    "Name of the known-servers entry (default: each --server entry as given); "
                    "give the same name to reach one server by name and by address, or to "
                    "share one entry among the nodes of a list")
        ->envname("SEALPOST_SERVER_NAME");
    app->add_option("--protocol", f->protocol, "Noise protocol name")
        ->envname("SEALPOST_PROTOCOL")
        ->capture_default_str();
  }
  if (groups & kRedisFlags) {
    app->add_option("--redis", f->redis, "Redis URL redis://[[user]:pass@]host[:port][/db]")
        ->envname("SEALPOST_REDIS_URL")
        ->capture_default_str();
    app->add_option("--redis-password-file", f->redis_password_file,
                    "Read the Redis password from this file's first line")
        ->envname("SEALPOST_REDIS_PASSWORD_FILE");
    app->add_option("--key-prefix", f->key_prefix, "Prefix of every Redis key")
        ->envname("SEALPOST_KEY_PREFIX")
        ->capture_default_str();
  }
  if (groups & kIdFlag) {
    app->add_option("--id", f->id, "Client id")->envname("SEALPOST_ID")->required();
  }
  if (groups & kKeyFlag) {
    app->add_option("--key", f->key,
                    "Client key file (created 0600 if missing; default "
                    "~/.sealpost/<id>.key)")
        ->envname("SEALPOST_KEY");
  }
  app->add_flag("-v,--verbose", f->verbose, "Report reconnects on stderr");
}

ClientOptions ClientOptionsFrom(const CommonFlags& f) {
  ClientOptions o;
  o.server = f.server;
  o.server_public_key = f.server_pk;
  o.server_name = f.server_name;
  o.protocol = f.protocol;
  o.client_id = f.id;
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : ".";
  o.key_file = f.key.empty() ? home + "/.sealpost/" + f.id + ".key" : f.key;
  if (f.server_pk.empty()) {
    o.known_servers_file =
        f.known_servers.empty() ? internal::DefaultKnownServersPath() : f.known_servers;
  }
  return o;
}

std::string Describe(const ClientError& e) {
  namespace ec = sp::proto::error_code;
  if (e.code == errors::kConnectionRefused) return "connection refused";
  if (e.code == errors::kServerKeyMismatch) return e.message;
  if (e.code == ec::kUnknownClient) return "not provisioned";
  if (e.code == ec::kClientDisabled) return "client disabled";
  if (e.code == errors::kTimeout || e.code == ec::kTimeout) return "timed out";
  if (e.message.empty()) return e.code;
  return e.code + ": " + e.message;
}

bool ParseDuration(std::string_view text, uint64_t* ms) {
  double scale = 1000;
  if (text.ends_with("ms")) {
    scale = 1;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  } else if (text.ends_with("m")) {
    scale = 60000;
    text.remove_suffix(1);
  }
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos) return false;
  char* end = nullptr;
  std::string copy(text);
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || value < 0) return false;
  *ms = static_cast<uint64_t>(value * scale + 0.5);
  return true;
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string EventLine(const Event& event) {
  nlohmann::ordered_json j;
  j["eventId"] = event.event_id;
  j["type"] = std::string(event.Get("type"));
  j["data"] = std::string(event.Get("data"));
  j["ts"] = event.ts;
  j["attempt"] = event.attempt;
  // Event fields come last so one named like ours (say "ts") wins.
  for (const auto& [key, value] : event.fields) {
    if (key != "type" && key != "data") j[key] = value;
  }
  return Dump(j);
}

std::string IsoTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return text;
}

void PrintLine(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int Fail(std::string_view message) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  return 1;
}

}  // namespace sealpost::cli
