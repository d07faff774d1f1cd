// Floors and set-up: libsodium's X25519 rate, the Noise_XX responder's CPU
// cost, provisioning bench clients, and the Redis command mix of sealpost
// replayed without sealpost (bench/floor_consumer.h: services/stream_reader.cpp,
// services/event_store.cpp, services/usage.cpp).
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "bench/bench.h"
#include "bench/common.h"
#include "bench/floor_consumer.h"
#include "crypto/bytes.h"
#include "crypto/sealpost_noise.h"
#include "services/keys.h"

namespace spb {

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
  ToolRedis r = ConnectToolRedis(o.redis);  // a redis+cluster:// URL too
  int64_t t0 = NowNs();
  constexpr size_t kBatch = 1000;
  for (size_t i = o.first; i < o.first + o.clients; i += kBatch) {
    size_t end = std::min(o.first + o.clients, i + kBatch);
    for (size_t k = i; k < end; ++k) {
      sp::crypto::KeyPair key = BenchKey(o.prefix, k);
      r->Append({"HSET", "sp:{" + ClientId(o.prefix, k) + "}:client", "pk",
                 sp::crypto::PublicKeyBase64(key)});
    }
    for (size_t k = i; k < end; ++k) {
      sealpost::tools::Reply rep = NextReply(r.get());
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

// Per event: XADD (producer) and its keyspace notification; then the
// server's delivery as FloorConsumer replays it: per round one multi-stream
// XREADGROUP COUNT <batch> (the server's inflight window) for the streams with
// news, then the round's acks in one ack script call per 1,024 ids; once a
// second the usage script, one call per 256 clients. Scripts by EVALSHA after
// one SCRIPT LOAD, as sealpost-server calls them.
int RunRedisFloor(const RedisFloorOptions& o) {
  const size_t n = o.clients;
  std::vector<std::string> targets;
  for (size_t i = 0; i < n; ++i) targets.push_back(ClientId(o.prefix, i));
  FloorConsumer consumer(o.redis, targets, o.batch);
  consumer.Prepare();
  const sp::services::Keys keys;
  std::string payload = Payload(o.payload);
  int64_t t_start = NowNs();
  int64_t t_end = t_start + static_cast<int64_t>(o.duration * 1e9);
  std::thread producer([&] {
    Redis p = ConnectRedis(o.redis);
    std::vector<uint64_t> sent(n, 0);
    while (NowNs() < t_end) {
      size_t appended = 0;
      for (size_t i = 0; i < n; ++i) {
        uint64_t outstanding = sent[i] - consumer.Acked(i);
        uint64_t before = sent[i];
        for (; outstanding < o.backlog && appended < 4096; ++outstanding, ++appended) {
          Append(p.get(), {"XADD", keys.Events(targets[i]), "*", "type", "bench", "data", payload});
          ++sent[i];
        }
        if (sent[i] > before) consumer.AddProduced(i, sent[i] - before);
      }
      for (size_t k = 0; k < appended; ++k) NextReply(p.get());
      if (appended == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  });
  // The consumer: what sealpost-server's delivery does, without the clients.
  consumer.Run([&] { return NowNs() >= t_end; });
  double elapsed = static_cast<double>(NowNs() - t_start) / 1e9;
  producer.join();
  const uint64_t total_acked = consumer.TotalAcked();
  nlohmann::json j;
  j["bench"] = "redis-floor";
  j["clients"] = n;
  j["batch"] = o.batch;
  j["payload"] = o.payload;
  j["events"] = total_acked;
  j["seconds"] = elapsed;
  j["throughput_eps"] = static_cast<double>(total_acked) / elapsed;
  j["mean_batch"] = consumer.Batches()
                        ? static_cast<double>(total_acked) / static_cast<double>(consumer.Batches())
                        : 0.0;
  j["xreadgroup_calls"] = consumer.ReadCalls();
  j["ack_calls"] = consumer.AckCalls();
  j["notifications"] = consumer.Notifications();
  Emit(j);
  return 0;
}

}  // namespace spb
