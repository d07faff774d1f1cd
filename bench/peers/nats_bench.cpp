// sealpost-bench-nats: a load generator for the NATS JetStream peer (libnats).
// A file-storage stream over bench.>, 100 durable push consumers with explicit
// ack (one subject each), one asynchronous publisher; at most `cap` messages
// per consumer between publish and receipt, and delivered == sent is checked.
//
//   flow --url nats://127.0.0.1:P --consumers 100 --duration 10
//        [--retention workqueue|limits] [--rate R] [--cap 40]
//   idle --host 127.0.0.1 --port P --clients N --hold 10   (raw protocol)
#include <arpa/inet.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/peers/peer_common.h"

namespace {

void Check(natsStatus s, const char* what, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  if (s == NATS_OK) return;
  std::fprintf(stderr, "sealpost-bench-nats: %s: %s (%d) %s\n", what, natsStatus_GetText(s),
               static_cast<int>(jerr), nats_GetLastError(nullptr));
  std::exit(1);
}

struct Consumer {
  std::atomic<uint64_t> got{0};
  std::atomic<uint64_t> redelivered{0};
};

struct FlowState {
  std::vector<Consumer> consumers;
  bool measure_latency = false;
  std::mutex lat_mu;
  std::vector<int64_t> lat;
  std::atomic<uint64_t> total_got{0};
  std::atomic<uint64_t> pub_errors{0};
  explicit FlowState(size_t n) : consumers(n) {}
};

struct SubClosure {
  FlowState* state;
  size_t index;
};

void OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* c = static_cast<SubClosure*>(closure);
  int64_t now = peer::NowNs();
  if (c->state->measure_latency) {
    int64_t stamp =
        peer::ParseStamp(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    if (stamp > 0) {
      std::lock_guard<std::mutex> lock(c->state->lat_mu);
      c->state->lat.push_back(now - stamp);
    }
  }
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    if (meta->NumDelivered > 1) c->state->consumers[c->index].redelivered++;
    jsMsgMetaData_Destroy(meta);
  }
  natsMsg_Ack(msg, nullptr);
  natsMsg_Destroy(msg);
  c->state->consumers[c->index].got.fetch_add(1, std::memory_order_relaxed);
  c->state->total_got.fetch_add(1, std::memory_order_relaxed);
}

void OnPubAck(jsCtx*, natsMsg* msg, jsPubAck*, jsPubAckErr* pae, void* closure) {
  if (pae != nullptr) static_cast<FlowState*>(closure)->pub_errors++;
  natsMsg_Destroy(msg);
}

int Flow(const peer::Args& args) {
  std::string url = args.Get("url", "nats://127.0.0.1:4222");
  size_t n = static_cast<size_t>(args.Num("consumers", 100));
  double duration = args.Num("duration", 10);
  double rate = args.Num("rate", 0);
  size_t cap = static_cast<size_t>(args.Num("cap", 40));
  size_t payload_bytes = static_cast<size_t>(args.Num("payload", 256));
  double drain_timeout = args.Num("drain-timeout", 60);
  std::string retention = args.Get("retention", "workqueue");
  std::string stream = "BENCH";

  nats_SetMessageDeliveryPoolSize(1);
  natsOptions* opts = nullptr;
  Check(natsOptions_Create(&opts), "options");
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_UseGlobalMessageDelivery(opts, true);
  natsOptions_SetMaxPendingMsgs(opts, 1 << 20);
  natsConnection* nc = nullptr;
  Check(natsConnection_Connect(&nc, opts), "connect");
  FlowState state(n);
  state.measure_latency = rate > 0;
  if (rate > 0) state.lat.reserve(static_cast<size_t>(rate * duration * 1.1) + 1024);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = static_cast<int64_t>(n * cap);
  jo.PublishAsync.AckHandler = OnPubAck;
  jo.PublishAsync.AckHandlerClosure = &state;
  jsCtx* js = nullptr;
  Check(natsConnection_JetStream(&js, nc, &jo), "jetstream");
  jsErrCode jerr = static_cast<jsErrCode>(0);
  js_DeleteStream(js, stream.c_str(), nullptr, &jerr);
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = stream.c_str();
  const char* subjects[] = {"bench.>"};
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Retention = retention == "limits" ? js_LimitsPolicy : js_WorkQueuePolicy;
  jsStreamInfo* si = nullptr;
  Check(js_AddStream(&si, js, &sc, nullptr, &jerr), "add stream", jerr);
  jsStreamInfo_Destroy(si);

  std::vector<std::string> subjects_of(n), durables(n);
  std::vector<SubClosure> closures(n);
  std::vector<natsSubscription*> subs(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    subjects_of[i] = "bench." + std::to_string(i);
    durables[i] = "c" + std::to_string(i);
    closures[i] = {&state, i};
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream.c_str();
    so.ManualAck = true;
    so.Config.Durable = durables[i].c_str();
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.MaxAckPending = static_cast<int64_t>(cap * 2);
    so.Config.FilterSubject = subjects_of[i].c_str();
    Check(js_Subscribe(&subs[i], js, subjects_of[i].c_str(), OnMsg, &closures[i], nullptr, &so,
                       &jerr),
          "subscribe", jerr);
  }

  std::vector<uint64_t> sent(n, 0);
  uint64_t total_sent = 0;
  size_t next = 0;
  int64_t t_start = peer::NowNs();
  int64_t t_stop = t_start + static_cast<int64_t>(duration * 1e9);
  while (true) {
    int64_t now = peer::NowNs();
    if (now >= t_stop) break;
    size_t appended = 0;
    if (rate > 0) {
      uint64_t due = static_cast<uint64_t>(static_cast<double>(now - t_start) * rate / 1e9);
      while (total_sent < due && appended < 4096) {
        int64_t scheduled =
            t_start + static_cast<int64_t>(static_cast<double>(total_sent) * 1e9 / rate);
        size_t i = next;
        next = (next + 1) % n;
        std::string p = peer::StampedPayload(scheduled, payload_bytes);
        Check(js_PublishAsync(js, subjects_of[i].c_str(), p.data(), static_cast<int>(p.size()),
                              nullptr),
              "publish");
        ++sent[i];
        ++total_sent;
        ++appended;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    } else {
      for (size_t k = 0; k < n && appended < 4096; ++k) {
        size_t i = next;
        next = (next + 1) % n;
        uint64_t got = state.consumers[i].got.load(std::memory_order_relaxed);
        while (sent[i] - got < cap && appended < 4096) {
          std::string p = peer::StampedPayload(now, payload_bytes);
          Check(js_PublishAsync(js, subjects_of[i].c_str(), p.data(), static_cast<int>(p.size()),
                                nullptr),
                "publish");
          ++sent[i];
          ++total_sent;
          ++appended;
        }
      }
      if (appended == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  int64_t t_deadline = peer::NowNs() + static_cast<int64_t>(drain_timeout * 1e9);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = static_cast<int64_t>(drain_timeout * 1000);
  js_PublishAsyncComplete(js, &po);
  int64_t t_delivered = 0;
  while (peer::NowNs() < t_deadline) {
    if (state.total_got.load() >= total_sent) {
      t_delivered = peer::NowNs();
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  uint64_t redelivered = 0;
  for (auto& c : state.consumers) redelivered += c.redelivered.load();
  nlohmann::json j;
  j["bench"] = rate > 0 ? "nats-latency" : "nats-throughput";
  j["retention"] = retention;
  j["consumers"] = n;
  j["payload"] = payload_bytes;
  j["sent"] = total_sent;
  j["delivered"] = state.total_got.load();
  j["redelivered"] = redelivered;
  j["publish_errors"] = state.pub_errors.load();
  j["lost"] = static_cast<long long>(total_sent) - static_cast<long long>(state.total_got.load());
  j["phase"] = t_delivered ? "done" : "drain_timeout";
  double produce_s = static_cast<double>(t_stop - t_start) / 1e9;
  if (rate > 0) {
    j["rate"] = rate;
    j["achieved_eps"] = static_cast<double>(state.total_got.load()) / produce_s;
    std::lock_guard<std::mutex> lock(state.lat_mu);
    j["latency_us"] = peer::LatencySummary(state.lat);
  } else {
    j["cap"] = cap;
    if (t_delivered)
      j["throughput_eps"] =
          static_cast<double>(total_sent) / (static_cast<double>(t_delivered - t_start) / 1e9);
  }
  peer::Emit(j);
  std::fflush(stdout);
  std::_Exit(t_delivered ? 0 : 1);  // skip tearing down 100 subscriptions
}

// Raw protocol: INFO, CONNECT, PING -> PONG; then hold the socket.
int Idle(const peer::Args& args) {
  std::string host = args.Get("host", "127.0.0.1");
  int port = static_cast<int>(args.Num("port", 4222));
  size_t clients = static_cast<size_t>(args.Num("clients", 1000));
  double hold = args.Num("hold", 10);
  std::vector<int> fds;
  int64_t t0 = peer::NowNs();
  const std::string hello =
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"c\",\"version\":\"bench\","
      "\"protocol\":1}\r\nPING\r\n";
  for (size_t i = 0; i < clients; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::fprintf(stderr, "sealpost-bench-nats: connect: %s\n", std::strerror(errno));
      return 1;
    }
    if (write(fd, hello.data(), hello.size()) != static_cast<ssize_t>(hello.size())) return 1;
    std::string in;
    char buf[4096];
    while (in.find("PONG\r\n") == std::string::npos) {
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        std::fprintf(stderr, "sealpost-bench-nats: read: %s\n", std::strerror(errno));
        return 1;
      }
      in.append(buf, static_cast<size_t>(r));
    }
    fds.push_back(fd);
  }
  double ramp = static_cast<double>(peer::NowNs() - t0) / 1e9;
  nlohmann::json j;
  j["bench"] = "nats-idle";
  j["clients"] = clients;
  j["connected"] = fds.size();
  j["ramp_seconds"] = ramp;
  j["phase"] = "connected";
  peer::Emit(j);
  // The server pings every 2 minutes by default; answer while holding.
  int64_t until = peer::NowNs() + static_cast<int64_t>(hold * 1e9);
  while (peer::NowNs() < until) usleep(100000);
  j["phase"] = "done";
  peer::Emit(j);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  peer::Args args(argc, argv);
  if (args.Command() == "flow") return Flow(args);
  if (args.Command() == "idle") return Idle(args);
  std::fprintf(stderr, "usage: sealpost-bench-nats flow|idle [--options]\n");
  return 2;
}
