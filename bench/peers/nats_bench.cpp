// sealpost-bench-nats: a load generator for the NATS JetStream peer (libnats).
// A file-storage stream over bench.>, 100 durable push consumers with explicit
// ack (one subject each), one asynchronous publisher; at most `cap` messages
// per consumer between publish and receipt, and delivered == sent is checked.
//
//   flow --url nats://127.0.0.1:P --consumers 100 --duration 10
//        [--retention workqueue|limits] [--rate R] [--cap 40]
//   idle --host 127.0.0.1 --port P --clients N --hold 10   (raw protocol)
#include <nats/nats.h>
#include <unistd.h>
#include <algorithm>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/peers/peer_common.h"

namespace {

void Check(natsStatus s, const char* what, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  if (s == NATS_OK) return;
  std::fprintf(stderr, "%s: %s: %s (%d) %s\n", peer::Program(), what, natsStatus_GetText(s),
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

// A connection and a JetStream context whose async publish acks are counted in state.
jsCtx* ConnectJetStream(const std::string& url, int64_t max_pending, FlowState* state) {
  nats_SetMessageDeliveryPoolSize(1);
  natsOptions* opts = nullptr;
  Check(natsOptions_Create(&opts), "options");
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_UseGlobalMessageDelivery(opts, true);
  natsOptions_SetMaxPendingMsgs(opts, 1 << 20);
  natsConnection* nc = nullptr;
  Check(natsConnection_Connect(&nc, opts), "connect");
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = max_pending;
  jo.PublishAsync.AckHandler = OnPubAck;
  jo.PublishAsync.AckHandlerClosure = state;
  jsCtx* js = nullptr;
  Check(natsConnection_JetStream(&js, nc, &jo), "jetstream");
  return js;
}

// The stream over bench.>, file storage, created anew.
void CreateStream(jsCtx* js, const char* stream, const std::string& retention) {
  jsErrCode jerr = static_cast<jsErrCode>(0);
  js_DeleteStream(js, stream, nullptr, &jerr);
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = stream;
  const char* subjects[] = {"bench.>"};
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Retention = retention == "limits" ? js_LimitsPolicy : js_WorkQueuePolicy;
  jsStreamInfo* si = nullptr;
  Check(js_AddStream(&si, js, &sc, nullptr, &jerr), "add stream", jerr);
  jsStreamInfo_Destroy(si);
}

// One durable push consumer with explicit ack per subject bench.<i>.
struct Consumers {
  std::vector<std::string> subjects, durables;
  std::vector<SubClosure> closures;
  std::vector<natsSubscription*> subs;
};

void Subscribe(jsCtx* js, const char* stream, size_t n, size_t cap, FlowState* state,
               Consumers* c) {
  c->subjects.resize(n);
  c->durables.resize(n);
  c->closures.resize(n);
  c->subs.assign(n, nullptr);
  jsErrCode jerr = static_cast<jsErrCode>(0);
  for (size_t i = 0; i < n; ++i) {
    // Appended: a literal + std::to_string trips GCC 12's false -Werror=restrict.
    c->subjects[i] = std::string("bench.").append(std::to_string(i));
    c->durables[i] = std::string("c").append(std::to_string(i));
    c->closures[i] = {state, i};
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.ManualAck = true;
    so.Config.Durable = c->durables[i].c_str();
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.MaxAckPending = static_cast<int64_t>(cap * 2);
    so.Config.FilterSubject = c->subjects[i].c_str();
    Check(js_Subscribe(&c->subs[i], js, c->subjects[i].c_str(), OnMsg, &c->closures[i], nullptr,
                       &so, &jerr),
          "subscribe", jerr);
  }
}

// Waits until every published event is acked by JetStream and received, at
// most drain_timeout; when they were all received, 0 otherwise.
int64_t Drain(jsCtx* js, const FlowState& state, uint64_t sent, double drain_timeout) {
  int64_t t_deadline = peer::NowNs() + static_cast<int64_t>(drain_timeout * 1e9);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = static_cast<int64_t>(drain_timeout * 1000);
  js_PublishAsyncComplete(js, &po);
  while (peer::NowNs() < t_deadline) {
    if (state.total_got.load() >= sent) return peer::NowNs();
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return 0;
}

int Flow(const peer::Args& args) {
  std::string url = args.Get("url", "nats://127.0.0.1:4222");
  peer::FlowOptions opts = peer::ParseFlow(args, "consumers");
  std::string retention = args.Get("retention", "workqueue");
  const char* stream = "BENCH";
  FlowState state(opts.receivers);
  state.measure_latency = opts.Latency();
  state.lat = opts.LatencyBuffer();
  jsCtx* js = ConnectJetStream(url, static_cast<int64_t>(opts.receivers * opts.cap), &state);
  CreateStream(js, stream, retention);
  Consumers consumers;
  Subscribe(js, stream, opts.receivers, opts.cap, &state, &consumers);

  auto got = [&](size_t i) { return state.consumers[i].got.load(std::memory_order_relaxed); };
  auto publish = [&](size_t i, const std::string& p) {
    Check(js_PublishAsync(js, consumers.subjects[i].c_str(), p.data(), static_cast<int>(p.size()),
                          nullptr),
          "publish");
  };
  peer::Producer producer(opts, peer::NowNs());
  while (true) {
    int64_t now = peer::NowNs();
    if (now >= producer.Stop()) break;
    size_t appended = producer.Produce(now, got, publish);
    if (opts.Latency())
      std::this_thread::sleep_for(std::chrono::nanoseconds(
          std::clamp<int64_t>(producer.NextDueNs() - peer::NowNs(), 0, 200000)));
    else if (appended == 0)
      std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  int64_t t_delivered = Drain(js, state, producer.Sent(), opts.drain_timeout);
  uint64_t redelivered = 0;
  for (auto& c : state.consumers) redelivered += c.redelivered.load();
  nlohmann::json j;
  j["retention"] = retention;
  j["redelivered"] = redelivered;
  j["publish_errors"] = state.pub_errors.load();
  int code;
  {
    std::lock_guard<std::mutex> lock(state.lat_mu);
    code =
        peer::ReportFlow(j, "nats", opts, producer, state.total_got.load(), t_delivered, state.lat);
  }
  std::_Exit(code);  // skip tearing down 100 subscriptions
}

// Raw protocol: INFO, CONNECT, PING -> PONG; then hold the socket.
int Idle(const peer::Args& args) {
  peer::IdleOptions opts = peer::ParseIdle(args, 4222);
  std::vector<int> fds;
  int64_t t0 = peer::NowNs();
  const std::string hello =
      "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"c\",\"version\":\"bench\","
      "\"protocol\":1}\r\nPING\r\n";
  for (size_t i = 0; i < opts.clients; ++i) {
    int fd = peer::Dial(opts.host, opts.port, false);
    peer::WriteAll(fd, hello);
    std::string in;
    char buf[4096];
    while (in.find("PONG\r\n") == std::string::npos) {
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) peer::Die("read");
      in.append(buf, static_cast<size_t>(r));
    }
    fds.push_back(fd);
  }
  nlohmann::json j;
  j["bench"] = "nats-idle";
  // Held without reading: nats-server's pings (every 2 minutes by default) go unanswered.
  peer::HoldIdle(peer::IdleReport(j, opts, fds.size(), t0), opts);
}

}  // namespace

int main(int argc, char** argv) {
  return peer::Main(argc, argv, "sealpost-bench-nats", Flow, Idle);
}
