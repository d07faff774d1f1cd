#include "tests/support/redis_cluster.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "services/cluster_slots.h"
#include "tests/support/eventually.h"

namespace sp::testkit {

namespace {

using namespace std::chrono_literals;

// One entry of CLUSTER SLOTS.
struct SlotRange {
  long long start = 0;
  long long end = 0;
  int primary = -1;
  std::vector<int> replicas;  // sorted: nodes list them in no fixed order
};

std::vector<SlotRange> ParseSlots(const redisReply* r) {
  std::vector<SlotRange> ranges;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return ranges;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3) continue;
    SlotRange range;
    range.start = e->element[0]->integer;
    range.end = e->element[1]->integer;
    for (size_t n = 2; n < e->elements; ++n) {
      const redisReply* node = e->element[n];
      if (node->type != REDIS_REPLY_ARRAY || node->elements < 2) continue;
      int port = static_cast<int>(node->element[1]->integer);
      if (n == 2)
        range.primary = port;
      else
        range.replicas.push_back(port);
    }
    std::sort(range.replicas.begin(), range.replicas.end());
    ranges.push_back(std::move(range));
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const SlotRange& a, const SlotRange& b) { return a.start < b.start; });
  return ranges;
}

std::vector<SlotRange> SlotsAt(int port) {
  auto r = RedisCommandAt(port, {"CLUSTER", "SLOTS"}, 2s);
  return ParseSlots(r.get());
}

int OwnerOf(const std::vector<SlotRange>& ranges, int slot) {
  for (const auto& r : ranges)
    if (slot >= r.start && slot <= r.end) return r.primary;
  return -1;
}

// ROLE: "master", or "slave" and the primary's port.
std::string Role(int port, int* primary_port = nullptr) {
  auto r = RedisCommandAt(port, {"ROLE"}, 2s);
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return "";
  std::string role = ReplyText(r->element[0]);
  if (primary_port != nullptr && role == "slave" && r->elements > 2)
    *primary_port = static_cast<int>(r->element[2]->integer);
  return role;
}

std::string Tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}

void ExpectOk(const RedisReplyPtr& r, const std::string& what) {
  if (r->type != REDIS_REPLY_STATUS) throw std::runtime_error(what + ": " + ReplyText(r.get()));
}

}  // namespace

RedisCluster::RedisCluster(int primaries, int replicas_per_primary, bool aof) {
  if (primaries < 3 || replicas_per_primary < 0)
    throw std::invalid_argument("Redis Cluster needs at least 3 primaries");
  auto argv_for = [aof](int port, const std::string& dir) {
    return std::vector<std::string>{
        "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir,
        "--save", "", "--appendonly", aof ? "yes" : "no", "--cluster-enabled", "yes",
        "--cluster-config-file", dir + "/nodes.conf", "--cluster-node-timeout",
        std::to_string(kNodeTimeoutMs),
        // A replica fails over however long ago it last heard from its
        // primary: a test that stopped a node for a while still gets one.
        "--cluster-replica-validity-factor", "0",
        // Replicas stay where --cluster-replicas put them, so a test knows
        // which node takes over from which.
        "--cluster-allow-replica-migration", "no",
        // The default waits 5 s for more replicas before a full sync starts.
        "--repl-diskless-sync-delay", "0"};
  };
  int total = primaries * (1 + replicas_per_primary);
  for (int i = 0; i < total; ++i) nodes_.push_back(std::make_unique<RedisNode>(argv_for, true));

  std::vector<std::string> create = {"redis-cli", "--cluster", "create"};
  for (const auto& n : nodes_) create.push_back("127.0.0.1:" + std::to_string(n->Port()));
  create.insert(create.end(),
                {"--cluster-replicas", std::to_string(replicas_per_primary), "--cluster-yes"});
  std::string out, err;
  if (int code = Run(create, &out, &err, 60s); code != 0)
    throw std::runtime_error("redis-cli --cluster create failed (" + std::to_string(code) +
                             "): " + out + err);
  if (!WaitForStable(30s))
    throw std::runtime_error("the cluster did not become stable:\n" + Logs());
  initial_primaries_ = PrimaryPorts();
  if (static_cast<int>(initial_primaries_.size()) != primaries)
    throw std::runtime_error("expected " + std::to_string(primaries) + " primaries, got " +
                             std::to_string(initial_primaries_.size()));
}

RedisCluster::~RedisCluster() = default;

std::string RedisCluster::Url() const {
  std::vector<int> order = initial_primaries_;
  for (int p : Ports())
    if (std::find(order.begin(), order.end(), p) == order.end()) order.push_back(p);
  std::string url = "redis+cluster://";
  for (size_t i = 0; i < order.size(); ++i)
    url += (i ? ",127.0.0.1:" : "127.0.0.1:") + std::to_string(order[i]);
  return url;
}

std::vector<int> RedisCluster::Ports() const {
  std::vector<int> ports;
  for (const auto& n : nodes_) ports.push_back(n->Port());
  return ports;
}

std::vector<int> RedisCluster::LivePorts() {
  std::vector<int> ports;
  for (const auto& n : nodes_)
    if (n->Running()) ports.push_back(n->Port());
  return ports;
}

std::vector<int> RedisCluster::PrimaryPorts() {
  std::vector<int> ports;
  for (int p : LivePorts())
    if (Role(p) == "master") ports.push_back(p);
  return ports;
}

std::vector<int> RedisCluster::ReplicaPorts(int primary_port) {
  std::vector<int> ports;
  for (int p : LivePorts()) {
    int of = -1;
    if (Role(p, &of) == "slave" && of == primary_port) ports.push_back(p);
  }
  return ports;
}

std::string RedisCluster::NodeId(int port) {
  return ReplyText(Command(port, {"CLUSTER", "MYID"}).get());
}

int RedisCluster::KeySlot(const std::string& key) {
  auto live = LivePorts();
  if (live.empty()) throw std::runtime_error("no live cluster node");
  return static_cast<int>(Command(live.front(), {"CLUSTER", "KEYSLOT", key})->integer);
}

int RedisCluster::PrimaryForSlot(int slot) {
  auto live = LivePorts();
  if (live.empty()) throw std::runtime_error("no live cluster node");
  return OwnerOf(SlotsAt(live.front()), slot);
}

std::vector<int> RedisCluster::SlotsOf(int primary_port) {
  auto live = LivePorts();
  if (live.empty()) throw std::runtime_error("no live cluster node");
  std::vector<int> slots;
  for (const auto& r : SlotsAt(live.front()))
    if (r.primary == primary_port)
      for (long long s = r.start; s <= r.end; ++s) slots.push_back(static_cast<int>(s));
  return slots;
}

std::vector<std::string> RedisCluster::KeysInSlots(const std::vector<int>& slots) {
  // One hash tag per slot, found once by trying tags in order (about 170,000
  // CRC16s for all 16,384 slots).
  static const std::vector<std::string> tags = [] {
    std::vector<std::string> t(services::kClusterSlots);
    size_t found = 0;
    for (long long i = 0; found < t.size(); ++i) {
      std::string tag = std::to_string(i);
      auto& slot = t[services::KeySlot(tag)];
      if (slot.empty()) slot = tag, ++found;
    }
    return t;
  }();
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> check;
  for (int slot : slots) {
    keys.push_back("k{" + tags.at(static_cast<size_t>(slot)) + "}");
    check.push_back({"CLUSTER", "KEYSLOT", keys.back()});
  }
  if (keys.empty()) return keys;
  // The slot function is the code under test elsewhere: Redis has the last word.
  auto replies = Commands(LivePorts().at(0), check);
  for (size_t i = 0; i < keys.size(); ++i)
    if (replies[i]->type != REDIS_REPLY_INTEGER || replies[i]->integer != slots[i])
      throw std::logic_error("CLUSTER KEYSLOT " + keys[i] + " is not " + std::to_string(slots[i]));
  return keys;
}

RedisReplyPtr RedisCluster::Command(int port, const std::vector<std::string>& argv) {
  auto r = RedisCommandAt(port, argv);
  if (!r) throw std::runtime_error("no reply from the cluster node on " + std::to_string(port));
  return r;
}

std::vector<RedisReplyPtr> RedisCluster::Commands(
    int port, const std::vector<std::vector<std::string>>& commands) {
  auto replies = RedisCommandsAt(port, commands);
  bool all =
      replies.size() == commands.size() &&
      std::all_of(replies.begin(), replies.end(), [](const auto& r) { return r != nullptr; });
  if (!all) throw std::runtime_error("no reply from the cluster node on " + std::to_string(port));
  return replies;
}

RedisReplyPtr RedisCluster::ClusterCommand(const std::vector<std::string>& argv) {
  // The first live node rather than the key's primary: no slot lookup here,
  // and the redirects are taken as a client would take them.
  int port = LivePorts().at(0);
  bool asking = false;
  int redirects = 0;
  auto deadline = std::chrono::steady_clock::now() + 1s;
  for (;;) {
    RedisReplyPtr r{nullptr, freeReplyObject};
    if (asking) {
      // ASKING holds for the next command on this connection only.
      auto replies = Commands(port, {{"ASKING"}, argv});
      r = std::move(replies[1]);
    } else {
      r = Command(port, argv);
    }
    if (r->type != REDIS_REPLY_ERROR) return r;
    std::string e = ReplyText(r.get());
    bool moved = e.rfind("MOVED ", 0) == 0;
    bool ask = e.rfind("ASK ", 0) == 0;
    if ((moved || ask) && redirects < 5) {
      port = std::stoi(e.substr(e.rfind(':') + 1));
      asking = ask;
      ++redirects;
      continue;
    }
    // A multi-key command during a migration, while the keys are split.
    if (e.rfind("TRYAGAIN", 0) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    return r;
  }
}

long long RedisCluster::Integer(const std::vector<std::string>& argv) {
  auto r = ClusterCommand(argv);
  return r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

std::string RedisCluster::String(const std::vector<std::string>& argv) {
  return ReplyText(ClusterCommand(argv).get());
}

std::string RedisCluster::Xadd(const std::string& client, const std::string& type,
                               const std::string& data) {
  return String({"XADD", "sp:{" + client + "}:events", "*", "type", type, "data", data});
}

void RedisCluster::Provision(const std::string& client, const crypto::KeyPair& key) {
  ClusterCommand({"HSET", "sp:{" + client + "}:client", "pk", crypto::PublicKeyBase64(key)});
}

RedisNode& RedisCluster::Node(int port) {
  for (auto& n : nodes_)
    if (n->Port() == port) return *n;
  throw std::invalid_argument("no cluster node on " + std::to_string(port));
}

void RedisCluster::Kill9Primary(int port) {
  if (Role(port) != "master")
    throw std::invalid_argument("the node on " + std::to_string(port) + " is not a primary");
  Kill9(port);
}

void RedisCluster::Kill9(int port) {
  RedisNode& node = Node(port);
  // WaitForFailover recognises the takeover by who serves this slot.
  for (const auto& r : SlotsAt(port))
    if (r.primary == port) {
      dead_primary_slot_[port] = static_cast<int>(r.start);
      break;
    }
  node.Kill9();
}

void RedisCluster::Restart(int port) {
  Node(port).Start();
}

int RedisCluster::WaitForFailover(int dead_port, std::chrono::milliseconds timeout) {
  auto it = dead_primary_slot_.find(dead_port);
  if (it == dead_primary_slot_.end())
    throw std::invalid_argument("no primary with slots was killed on " + std::to_string(dead_port));
  int slot = it->second;
  int promoted = -1;
  bool done = Eventually(
      [&] {
        int owner = PrimaryForSlot(slot);
        if (owner < 0 || owner == dead_port || Role(owner) != "master") return false;
        if (!Stable()) return false;  // every live node has the same map, so the same owner
        promoted = owner;
        return true;
      },
      timeout, 50ms);
  return done ? promoted : -1;
}

bool RedisCluster::WaitForStable(std::chrono::milliseconds timeout) {
  return Eventually([&] { return Stable(); }, timeout, 50ms);
}

bool RedisCluster::Stable() {
  std::string first;
  auto live = LivePorts();
  for (int port : live) {
    auto info = RedisCommandAt(port, {"CLUSTER", "INFO"}, 2s);
    if (!info || InfoValue(ReplyText(info.get()), "cluster_state") != "ok") return false;
    std::string map = SlotMap(port);
    if (map.empty() || (port != live.front() && map != first)) return false;
    first = map;
    if (RedisInfoField(port, "replication", "role") == "slave" &&
        RedisInfoField(port, "replication", "master_link_status") != "up")
      return false;
  }
  return !live.empty();
}

std::string RedisCluster::SlotMap(int port) {
  std::string map;
  for (const auto& r : SlotsAt(port)) {
    // Appended piece by piece: `"," + std::to_string(...)` trips GCC 12's
    // -Wrestrict false positive.
    map.append(std::to_string(r.start)).append("-").append(std::to_string(r.end));
    map.append(":").append(std::to_string(r.primary));
    for (int replica : r.replicas) map.append(",").append(std::to_string(replica));
    map.append(" ");
  }
  return map;
}

void RedisCluster::Reshard(int from_port, int to_port, int slots) {
  std::string out, err;
  int code = Run({"redis-cli", "--cluster", "reshard", "127.0.0.1:" + std::to_string(from_port),
                  "--cluster-from", NodeId(from_port), "--cluster-to", NodeId(to_port),
                  "--cluster-slots", std::to_string(slots), "--cluster-yes"},
                 &out, &err, 120s);
  if (code != 0)
    throw std::runtime_error("redis-cli --cluster reshard failed (" + std::to_string(code) +
                             "): " + Tail(out, 2000) + err);
  if (!WaitForStable()) throw std::runtime_error("not stable after resharding:\n" + Logs());
}

void RedisCluster::BeginSlotMigration(int slot, int from_port, int to_port) {
  // IMPORTING first: once the source says ASK, the target must accept.
  ExpectOk(Command(to_port,
                   {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", NodeId(from_port)}),
           "SETSLOT IMPORTING");
  ExpectOk(Command(from_port,
                   {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", NodeId(to_port)}),
           "SETSLOT MIGRATING");
}

void RedisCluster::MigrateKeys(int from_port, int to_port, const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  std::vector<std::string> argv = {"MIGRATE", "127.0.0.1", std::to_string(to_port), "", "0",
                                   "5000",    "KEYS"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  auto r = Command(from_port, argv);
  std::string text = ReplyText(r.get());
  if (r->type != REDIS_REPLY_STATUS) throw std::runtime_error("MIGRATE: " + text);
}

int RedisCluster::MigrateSlotKeys(int slot, int from_port, int to_port) {
  int moved = 0;
  for (;;) {
    auto r = Command(from_port, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"});
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return moved;
    std::vector<std::string> keys;
    for (size_t i = 0; i < r->elements; ++i) keys.push_back(ReplyText(r->element[i]));
    MigrateKeys(from_port, to_port, keys);
    moved += static_cast<int>(keys.size());
  }
}

void RedisCluster::FinishSlotMigration(int slot, int from_port, int to_port) {
  std::string to_id = NodeId(to_port);
  std::vector<std::string> setslot = {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", to_id};
  // The target first (it bumps its config epoch and so wins), then the
  // source (refused while it still holds keys of the slot), then the other
  // primaries, which would otherwise learn it by gossip a little later.
  ExpectOk(Command(to_port, setslot), "SETSLOT NODE on the target");
  ExpectOk(Command(from_port, setslot), "SETSLOT NODE on the source");
  for (int p : PrimaryPorts())
    if (p != to_port && p != from_port) ExpectOk(Command(p, setslot), "SETSLOT NODE");
  if (!WaitForStable()) throw std::runtime_error("not stable after moving a slot:\n" + Logs());
}

void RedisCluster::MoveSlot(int slot, int from_port, int to_port) {
  BeginSlotMigration(slot, from_port, to_port);
  MigrateSlotKeys(slot, from_port, to_port);
  FinishSlotMigration(slot, from_port, to_port);
}

std::string RedisCluster::Logs() {
  std::string all;
  for (const auto& n : nodes_)
    all += "--- redis-server on " + std::to_string(n->Port()) + " ---\n" + Tail(n->Log(), 3000);
  return all;
}

}  // namespace sp::testkit
