// Floors and set-up: libsodium's X25519 rate, the Noise_XX responder's CPU
// cost, provisioning bench clients, and the Redis command mix of sealpost
// replayed without sealpost (services/event_store.cpp, services/usage.cpp).
#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "bench/bench.h"
#include "bench/common.h"
#include "bench/redis_scripts.h"
#include "crypto/bytes.h"
#include "crypto/sealpost_noise.h"

namespace spb {
namespace {

std::string EventsKey(const std::string& prefix, size_t i) {
  return "sp:{" + ClientId(prefix, i) + "}:events";
}

}  // namespace

int RunX25519(const X25519Options& o) {
  uint8_t sk[32], pk[32], out[32];
  randombytes_buf(sk, sizeof sk);
  crypto_scalarmult_base(pk, sk);
  // DH: a variable-base scalar multiplication (ee, es, se).
  uint64_t dh = 0;
  int64_t start = NowNs(), end = start + static_cast<int64_t>(o.seconds * 1e9);
  while (NowNs() < end) {
    for (int i = 0; i < 64; ++i) {
      if (crypto_scalarmult(out, sk, pk) != 0) return 1;
      pk[0] ^= out[0];
    }
    dh += 64;
  }
  double dh_s = static_cast<double>(dh) / (static_cast<double>(NowNs() - start) / 1e9);
  // Key generation: a fixed-base scalar multiplication.
  uint64_t base = 0;
  start = NowNs();
  end = start + static_cast<int64_t>(o.seconds * 1e9);
  while (NowNs() < end) {
    for (int i = 0; i < 64; ++i) {
      crypto_scalarmult_base(out, sk);
      sk[1] ^= out[1];
    }
    base += 64;
  }
  double base_s = static_cast<double>(base) / (static_cast<double>(NowNs() - start) / 1e9);
  // The responder of Noise_XX does 3 DH (ee, es, se) and 1 key generation (e).
  double ceiling = 1.0 / (3.0 / dh_s + 1.0 / base_s);

  // The whole responder side with sealpost's own Noise code, on one core.
  sp::crypto::KeyPair server = sp::crypto::GenerateKeyPair();
  sp::crypto::KeyPair client = sp::crypto::GenerateKeyPair();
  std::string payload_text = "{\"client\":\"bench-1\"}";
  sp::crypto::ByteView payload = sp::crypto::AsBytes(payload_text);
  uint64_t handshakes = 0;
  int64_t responder_ns = 0;
  start = NowNs();
  end = start + static_cast<int64_t>(o.seconds * 1e9);
  while (NowNs() < end) {
    std::unique_ptr<sp::crypto::noise::HandshakeState> ini, res;
    sp::crypto::Bytes m1, m2, m3, p;
    sp::crypto::Transport ti, tr;
    bool ok = sp::crypto::StartHandshake(sp::crypto::kDefaultProtocol, true, client, &ini) ==
                  sp::crypto::noise::Status::Ok &&
              ini->WriteMessage({}, &m1) == sp::crypto::noise::Status::Ok;
    int64_t t0 = NowNs();
    ok = ok &&
         sp::crypto::StartHandshake(sp::crypto::kDefaultProtocol, false, server, &res) ==
             sp::crypto::noise::Status::Ok &&
         res->ReadMessage(m1, &p) == sp::crypto::noise::Status::Ok &&
         res->WriteMessage({}, &m2) == sp::crypto::noise::Status::Ok;
    responder_ns += NowNs() - t0;
    ok = ok && ini->ReadMessage(m2, &p) == sp::crypto::noise::Status::Ok &&
         ini->WriteMessage(payload, &m3) == sp::crypto::noise::Status::Ok &&
         sp::crypto::FinishHandshake(*ini, true, &ti) == sp::crypto::noise::Status::Ok;
    t0 = NowNs();
    ok = ok && res->ReadMessage(m3, &p) == sp::crypto::noise::Status::Ok &&
         sp::crypto::FinishHandshake(*res, false, &tr) == sp::crypto::noise::Status::Ok;
    responder_ns += NowNs() - t0;
    if (!ok) {
      std::fprintf(stderr, "sealpost-bench: in-memory handshake failed\n");
      return 1;
    }
    ++handshakes;
  }
  nlohmann::json j;
  j["bench"] = "x25519";
  j["libsodium"] = sodium_version_string();
  j["dh_per_s"] = dh_s;
  j["keygen_per_s"] = base_s;
  j["responder_ceiling_hs_per_s"] = ceiling;
  j["noise_responder_hs_per_s"] =
      static_cast<double>(handshakes) / (static_cast<double>(responder_ns) / 1e9);
  Emit(j);
  return 0;
}

int RunProvision(const ProvisionOptions& o) {
  Redis r = ConnectRedis(o.redis);
  int64_t t0 = NowNs();
  constexpr size_t kBatch = 1000;
  for (size_t i = o.first; i < o.first + o.clients; i += kBatch) {
    size_t end = std::min(o.first + o.clients, i + kBatch);
    for (size_t k = i; k < end; ++k) {
      sp::crypto::KeyPair key = BenchKey(o.prefix, k);
      Append(r.get(), {"HSET", "sp:{" + ClientId(o.prefix, k) + "}:client", "pk",
                       sp::crypto::PublicKeyBase64(key)});
    }
    for (size_t k = i; k < end; ++k) {
      Reply rep = NextReply(r.get());
      if (rep->type == REDIS_REPLY_ERROR) {
        std::fprintf(stderr, "sealpost-bench: HSET: %s\n", rep->str);
        return 1;
      }
    }
  }
  nlohmann::json j;
  j["bench"] = "provision";
  j["clients"] = o.clients;
  j["seconds"] = static_cast<double>(NowNs() - t0) / 1e9;
  Emit(j);
  return 0;
}

// Per event: XADD (producer) and its keyspace notification; per client batch:
// XREADGROUP COUNT <window room> and one call of the ack script with the batch's
// ids; per client and second: one call of the usage script. Scripts by EVALSHA
// after one SCRIPT LOAD, as sealpost-server calls them.
int RunRedisFloor(const RedisFloorOptions& o) {
  const size_t n = o.clients;
  std::vector<std::atomic<uint64_t>> produced(n), acked(n);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> notifications{0};
  std::string payload = Payload(o.payload);
  {
    Redis setup = ConnectRedis(o.redis);
    for (size_t i = 0; i < n; ++i)
      Append(setup.get(),
             {"XGROUP", "CREATE", EventsKey(o.prefix, i), "sealpost", "0", "MKSTREAM"});
    for (size_t i = 0; i < n; ++i) NextReply(setup.get());
    Command(setup.get(), {"CONFIG", "SET", "notify-keyspace-events", "Et"});
  }
  std::thread subscriber([&] {
    Redis s = ConnectRedis(o.redis);
    timeval tv{0, 200000};
    Command(s.get(), {"SUBSCRIBE", "__keyevent@" + std::to_string(0) + "__:xadd"});
    redisSetTimeout(s.get(), tv);
    while (!stop) {
      void* r = nullptr;
      if (redisGetReply(s.get(), &r) != REDIS_OK) {
        if (stop) break;
        s->err = 0;  // a read timeout: keep listening
        continue;
      }
      freeReplyObject(r);
      notifications++;
    }
  });
  int64_t t_start = NowNs();
  int64_t t_end = t_start + static_cast<int64_t>(o.duration * 1e9);
  std::thread producer([&] {
    Redis p = ConnectRedis(o.redis);
    std::vector<uint64_t> sent(n, 0);
    while (NowNs() < t_end) {
      size_t appended = 0;
      for (size_t i = 0; i < n; ++i) {
        uint64_t outstanding = sent[i] - acked[i].load(std::memory_order_relaxed);
        for (; outstanding < o.backlog && appended < 4096; ++outstanding, ++appended) {
          Append(p.get(), {"XADD", EventsKey(o.prefix, i), "*", "type", "bench", "data", payload});
          ++sent[i];
        }
        produced[i].store(sent[i], std::memory_order_relaxed);
      }
      for (size_t k = 0; k < appended; ++k) NextReply(p.get());
      if (appended == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  // The consumer: what sealpost-server's delivery does, without the clients.
  Redis c = ConnectRedis(o.redis);
  const std::string ack = LoadScript(c.get(), kAckScript);
  const std::string usage = LoadScript(c.get(), kUsageScript);
  std::vector<uint64_t> read(n, 0);
  uint64_t rounds = 0, evals = 0;
  int64_t next_usage = t_start + 1000000000;
  std::string group = "sealpost";
  std::string count = std::to_string(o.batch);
  uint64_t total_acked = 0;
  while (NowNs() < t_end) {
    std::vector<size_t> asked;
    for (size_t i = 0; i < n; ++i) {
      if (produced[i].load(std::memory_order_relaxed) <= read[i]) continue;
      Append(c.get(), {"XREADGROUP", "GROUP", group, ClientId(o.prefix, i), "COUNT", count,
                       "STREAMS", EventsKey(o.prefix, i), ">"});
      asked.push_back(i);
    }
    if (asked.empty()) {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      continue;
    }
    std::vector<std::pair<size_t, size_t>> batches;  // client, ids
    for (size_t i : asked) {
      Reply r = NextReply(c.get());
      if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1) continue;
      redisReply* entries = r->element[0]->element[1];
      if (entries->elements == 0) continue;
      std::vector<std::string> argv = {"EVALSHA", ack, "1", EventsKey(o.prefix, i), group};
      for (size_t e = 0; e < entries->elements; ++e)
        argv.emplace_back(entries->element[e]->element[0]->str,
                          entries->element[e]->element[0]->len);
      Append(c.get(), argv);
      batches.emplace_back(i, entries->elements);
      read[i] += entries->elements;
    }
    bool usage_due = NowNs() >= next_usage;
    if (usage_due) {
      next_usage += 1000000000;
      for (size_t i = 0; i < n; ++i)
        Append(c.get(), {"EVALSHA", usage, "1", "sp:{" + ClientId(o.prefix, i) + "}:usage",
                         std::to_string(NowNs() / 1000000), "delivered", "1", "acked", "1",
                         "bytes_out", "300"});
    }
    for (auto [i, k] : batches) {
      Reply r = NextReply(c.get());
      if (r && r->type == REDIS_REPLY_INTEGER) {
        acked[i].fetch_add(k, std::memory_order_relaxed);
        total_acked += k;
      }
      ++evals;
    }
    if (usage_due)
      for (size_t i = 0; i < n; ++i) NextReply(c.get());
    ++rounds;
  }
  double elapsed = static_cast<double>(NowNs() - t_start) / 1e9;
  producer.join();
  stop = true;
  subscriber.join();
  nlohmann::json j;
  j["bench"] = "redis-floor";
  j["clients"] = n;
  j["batch"] = o.batch;
  j["payload"] = o.payload;
  j["events"] = total_acked;
  j["seconds"] = elapsed;
  j["throughput_eps"] = static_cast<double>(total_acked) / elapsed;
  j["mean_batch"] = evals ? static_cast<double>(total_acked) / static_cast<double>(evals) : 0.0;
  j["notifications"] = notifications.load();
  Emit(j);
  return 0;
}

}  // namespace spb
