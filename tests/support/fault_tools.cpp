#include "tests/support/fault_tools.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>

namespace sp::testkit {

std::vector<std::string> SimArgs(const std::string& servers, const std::string& server_pk,
                                 const std::string& redis_url, int clients, double duration_s,
                                 double rate, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {BinDir() + "/sealpost-sim",
                                   "--server",
                                   servers,
                                   "--server-pk",
                                   server_pk,
                                   "--redis",
                                   redis_url,
                                   "--clients",
                                   std::to_string(clients),
                                   "--duration",
                                   std::to_string(duration_s),
                                   "--rate",
                                   std::to_string(rate),
                                   "--drain",
                                   "30",
                                   "--connect-wait",
                                   "15"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::vector<std::string> SimArgs(Redis& redis, Server& server, int clients, double duration_s,
                                 double rate, const std::vector<std::string>& extra) {
  return SimArgs(server.Host() + ":" + std::to_string(server.Port()), server.PublicKey(),
                 redis.Url(), clients, duration_s, rate, extra);
}

std::vector<double> SpreadMoments(int count, double from, double to, double gap, unsigned seed) {
  double slack = (to - from) - gap * (count - 1);
  if (count <= 0 || slack < 0) throw std::invalid_argument("moments do not fit");
  // Sorted random offsets in [0, slack], then each pushed gap*i further.
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> pick(0, slack);
  std::vector<double> at(static_cast<size_t>(count));
  for (double& a : at) a = pick(rng);
  std::sort(at.begin(), at.end());
  for (size_t i = 0; i < at.size(); ++i) at[i] += from + gap * static_cast<double>(i);
  return at;
}

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

ListenClient::ListenClient(Redis& redis, Server& server, const std::string& id, const TempDir& dir,
                           const std::vector<std::string>& prefix) {
  crypto::KeyPair key = crypto::GenerateKeyPair();
  std::string key_file = dir.File(id + ".key");
  if (crypto::WriteKeyFile(key_file, key) != crypto::KeyFileError::Ok)
    throw std::runtime_error("cannot write a client key");
  redis.Provision(id, key);
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), {BinDir() + "/sealpost", "listen", "--id", id, "--key", key_file,
                           "--server", server.Host() + ":" + std::to_string(server.Port()),
                           "--server-pk", server.PublicKey()});
  proc = Process(argv, dir.File("listen-" + id));
}

size_t ListenClient::DistinctEvents() const {
  static const std::string kField = "\"eventId\":\"";
  std::string out = proc.Stdout();
  std::set<std::string> ids;
  for (size_t at = out.find(kField); at != std::string::npos; at = out.find(kField, at)) {
    at += kField.size();
    size_t end = out.find('"', at);
    if (end == std::string::npos) break;
    ids.insert(out.substr(at, end - at));
  }
  return ids.size();
}

}  // namespace sp::testkit
