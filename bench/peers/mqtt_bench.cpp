// sealpost-bench-mqtt: a raw MQTT 3.1.1 load generator for the Mosquitto
// peer. One epoll thread; QoS 1 throughout; a bounded number of messages per
// subscriber between PUBLISH and the subscriber's receipt, so the broker never
// has to drop or queue without bound (delivered == sent is checked).
//
//   flow --port P --subscribers 100 --duration 10 [--rate R] [--cap 40]
//   idle --port P --clients N --hold 10 [--tls]
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <algorithm>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#ifdef SPB_HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include "bench/peers/peer_common.h"

namespace {

void PutLen(std::string* out, size_t len) {
  do {
    uint8_t b = len % 128;
    len /= 128;
    if (len) b |= 0x80;
    out->push_back(static_cast<char>(b));
  } while (len);
}

void PutStr(std::string* out, const std::string& s) {
  out->push_back(static_cast<char>(s.size() >> 8));
  out->push_back(static_cast<char>(s.size() & 0xff));
  out->append(s);
}

std::string Connect(const std::string& client_id, int keepalive) {
  std::string body;
  PutStr(&body, "MQTT");
  body.push_back(4);     // 3.1.1
  body.push_back(0x02);  // clean session
  body.push_back(static_cast<char>(keepalive >> 8));
  body.push_back(static_cast<char>(keepalive & 0xff));
  PutStr(&body, client_id);
  std::string p(1, '\x10');
  PutLen(&p, body.size());
  return p + body;
}

std::string Subscribe(uint16_t id, const std::string& topic) {
  std::string body;
  body.push_back(static_cast<char>(id >> 8));
  body.push_back(static_cast<char>(id & 0xff));
  PutStr(&body, topic);
  body.push_back(1);  // QoS 1
  std::string p(1, '\x82');
  PutLen(&p, body.size());
  return p + body;
}

void AppendPublish(std::string* out, uint16_t id, const std::string& topic,
                   const std::string& payload) {
  out->push_back('\x32');  // PUBLISH, QoS 1
  PutLen(out, 2 + topic.size() + 2 + payload.size());
  PutStr(out, topic);
  out->push_back(static_cast<char>(id >> 8));
  out->push_back(static_cast<char>(id & 0xff));
  out->append(payload);
}

void AppendPuback(std::string* out, uint16_t id) {
  out->push_back('\x40');
  out->push_back('\x02');
  out->push_back(static_cast<char>(id >> 8));
  out->push_back(static_cast<char>(id & 0xff));
}

// Blocking read of one whole packet (used while connecting).
std::string ReadPacket(int fd) {
  std::string p;
  auto get = [&](size_t n) {
    size_t start = p.size();
    p.resize(start + n);
    size_t off = 0;
    while (off < n) {
      ssize_t r = read(fd, p.data() + start + off, n - off);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) peer::Die("read");
      off += static_cast<size_t>(r);
    }
  };
  get(1);
  size_t len = 0, mult = 1;
  for (int i = 0; i < 4; ++i) {
    get(1);
    uint8_t b = static_cast<uint8_t>(p.back());
    len += (b & 0x7f) * mult;
    mult *= 128;
    if (!(b & 0x80)) break;
  }
  get(len);
  return p;
}

struct Conn {
  int fd = -1;
  std::string in;
  std::string out;
  bool want_out = false;
};

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Writes what it can; arms EPOLLOUT when the socket is full.
void Flush(int ep, Conn* c, uint64_t tag) {
  while (!c->out.empty()) {
    ssize_t n = write(c->fd, c->out.data(), c->out.size());
    if (n > 0) {
      c->out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    peer::Die("write");
  }
  bool want = !c->out.empty();
  if (want != c->want_out) {
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u64 = tag;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want;
  }
}

// Calls fn(type_byte, body, len) for each complete packet in c->in.
template <class Fn>
void Packets(Conn* c, Fn fn) {
  size_t pos = 0;
  while (c->in.size() - pos >= 2) {
    size_t len = 0, mult = 1, i = 1;
    bool complete = false;
    for (; i < 5 && pos + i < c->in.size(); ++i) {
      uint8_t b = static_cast<uint8_t>(c->in[pos + i]);
      len += (b & 0x7f) * mult;
      mult *= 128;
      if (!(b & 0x80)) {
        complete = true;
        ++i;
        break;
      }
    }
    if (!complete || c->in.size() - pos - i < len) break;
    fn(static_cast<uint8_t>(c->in[pos]), c->in.data() + pos + i, len);
    pos += i + len;
  }
  c->in.erase(0, pos);
}

struct FlowState {
  std::vector<Conn> conns;  // [0, subscribers): subscribers; subscribers: the publisher
  std::vector<std::string> topics;
  std::vector<uint64_t> got;
  uint64_t total_got = 0, pubacks = 0, dups = 0;
  std::vector<int64_t> lat;
};

// Connects and subscribes every subscriber (blocking), then the publisher;
// all non-blocking in epoll `ep` from then on, tagged with their index.
void ConnectAll(int ep, const std::string& host, int port, size_t subs, FlowState* s) {
  s->conns.resize(subs + 1);
  s->got.assign(subs, 0);
  for (size_t i = 0; i < subs; ++i) {
    s->topics.push_back("bench/" + std::to_string(i));
    Conn& c = s->conns[i];
    c.fd = peer::Dial(host, port, true);
    peer::WriteAll(c.fd, Connect("sub-" + std::to_string(i), 60));
    if (ReadPacket(c.fd)[0] != 0x20) peer::Die("connack");
    peer::WriteAll(c.fd, Subscribe(1, s->topics.back()));
    if (static_cast<uint8_t>(ReadPacket(c.fd)[0]) != 0x90) peer::Die("suback");
  }
  Conn& pub = s->conns[subs];
  pub.fd = peer::Dial(host, port, true);
  peer::WriteAll(pub.fd, Connect("pub", 60));
  if (ReadPacket(pub.fd)[0] != 0x20) peer::Die("connack");
  for (size_t i = 0; i <= subs; ++i) {
    SetNonBlocking(s->conns[i].fd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, s->conns[i].fd, &ev);
  }
}

// Reads what the socket has into c->in; Die when the broker closed it.
void ReadAvailable(Conn* c, std::vector<char>* buf) {
  while (true) {
    ssize_t r = read(c->fd, buf->data(), buf->size());
    if (r > 0) {
      c->in.append(buf->data(), static_cast<size_t>(r));
      if (static_cast<size_t>(r) < buf->size()) break;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) break;
    peer::Die(r == 0 ? "broker closed a connection" : "read");
  }
}

// One packet received on connection idx: a PUBACK to the publisher or a
// PUBLISH to a subscriber (acked, counted, its latency kept when measuring).
void OnPacket(FlowState* s, size_t idx, bool latency, int64_t recv_ns, uint8_t type,
              const char* body, size_t len) {
  if ((type >> 4) == 4) {  // PUBACK to the publisher
    ++s->pubacks;
    return;
  }
  if ((type >> 4) != 3 || len < 2) return;
  size_t tlen = (static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1]);
  size_t off = 2 + tlen;
  if (((type >> 1) & 3) > 0) {
    uint16_t id = static_cast<uint16_t>((static_cast<uint8_t>(body[off]) << 8) |
                                        static_cast<uint8_t>(body[off + 1]));
    off += 2;
    AppendPuback(&s->conns[idx].out, id);
  }
  if (type & 0x08) ++s->dups;  // DUP flag: a redelivery
  ++s->got[idx];
  ++s->total_got;
  if (latency) {
    int64_t stamp = peer::ParseStamp(body + off, len - off);
    if (stamp > 0) s->lat.push_back(recv_ns - stamp);
  }
}

// Waits for socket events up to timeout_ns (epoll_pwait2: a millisecond
// timeout would send fixed-rate events up to 1 ms late) and handles them.
void Poll(int ep, FlowState* s, bool latency, int64_t timeout_ns, std::vector<char>* buf) {
  epoll_event events[128];
  timespec timeout{static_cast<time_t>(timeout_ns / 1000000000),
                   static_cast<long>(timeout_ns % 1000000000)};
  int n = epoll_pwait2(ep, events, 128, &timeout, nullptr);
  for (int e = 0; e < n; ++e) {
    size_t idx = events[e].data.u64;
    Conn& c = s->conns[idx];
    if (events[e].events & EPOLLOUT) Flush(ep, &c, idx);
    if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
    ReadAvailable(&c, buf);
    int64_t recv_ns = peer::NowNs();
    Packets(&c, [&](uint8_t type, const char* body, size_t len) {
      OnPacket(s, idx, latency, recv_ns, type, body, len);
    });
    if (!c.out.empty()) Flush(ep, &c, idx);
  }
}

int Flow(const peer::Args& args) {
  std::string host = args.Get("host", "127.0.0.1");
  int port = static_cast<int>(args.Num("port", 1883));
  peer::FlowOptions opts = peer::ParseFlow(args, "subscribers");
  size_t subs = opts.receivers;
  int ep = epoll_create1(0);
  FlowState s;
  ConnectAll(ep, host, port, subs, &s);
  s.lat = opts.LatencyBuffer();
  Conn& pub = s.conns[subs];
  uint16_t next_id = 1;
  auto got = [&](size_t i) { return s.got[i]; };
  auto publish = [&](size_t i, const std::string& payload) {
    if (next_id == 0) next_id = 1;
    AppendPublish(&pub.out, next_id++, s.topics[i], payload);
  };
  peer::Producer producer(opts, peer::NowNs());
  int64_t t_deadline = producer.Stop() + static_cast<int64_t>(opts.drain_timeout * 1e9);
  int64_t t_delivered = 0;
  std::vector<char> buf(1 << 16);
  while (true) {
    int64_t now = peer::NowNs();
    bool producing = now < producer.Stop();
    uint64_t sent = producer.Sent();
    if (!producing && s.total_got >= sent && s.pubacks >= sent) {
      t_delivered = now;
      break;
    }
    if (now > t_deadline) break;
    if (producing && producer.Produce(now, got, publish)) Flush(ep, &pub, subs);
    int64_t wait_ns = 10000000;
    if (opts.Latency())
      wait_ns = producing ? std::clamp<int64_t>(producer.NextDueNs() - peer::NowNs(), 0, 1000000)
                          : 1000000;
    Poll(ep, &s, opts.Latency(), wait_ns, &buf);
  }
  nlohmann::json j;
  j["pubacks"] = s.pubacks;
  j["dup_flagged"] = s.dups;
  return peer::ReportFlow(j, "mqtt", opts, producer, s.total_got, t_delivered, s.lat);
}

#ifdef SPB_HAVE_OPENSSL
// TLS 1.3 handshake on fd, then CONNECT and its CONNACK; Die on failure.
SSL* ConnectTls(SSL_CTX* ctx, int fd, const std::string& connect) {
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    ERR_print_errors_fp(stderr);
    peer::Die("tls handshake");
  }
  if (SSL_write(ssl, connect.data(), static_cast<int>(connect.size())) <= 0) peer::Die("tls write");
  char ack[4];
  size_t got = 0;
  while (got < 4) {
    int r = SSL_read(ssl, ack + got, static_cast<int>(4 - got));
    if (r <= 0) peer::Die("tls read");
    got += static_cast<size_t>(r);
  }
  if (ack[0] != 0x20) peer::Die("connack");
  return ssl;
}
#endif

int Idle(const peer::Args& args) {
  peer::IdleOptions opts = peer::ParseIdle(args, 1883);
  bool tls = args.Has("tls");
  std::vector<int> fds;
  fds.reserve(opts.clients);
#ifdef SPB_HAVE_OPENSSL
  SSL_CTX* ctx = nullptr;
  std::vector<SSL*> ssls;
  if (tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);  // throwaway self-signed cert
  }
#else
  if (tls) {
    std::fprintf(stderr, "sealpost-bench-mqtt: built without OpenSSL\n");
    return 2;
  }
#endif
  int64_t t0 = peer::NowNs();
  std::string tls_version;
  for (size_t i = 0; i < opts.clients; ++i) {
    int fd = peer::Dial(opts.host, opts.port, true);
    std::string connect = Connect("idle-" + std::to_string(i), 600);
    if (!tls) {
      peer::WriteAll(fd, connect);
      if (ReadPacket(fd)[0] != 0x20) peer::Die("connack");
    }
#ifdef SPB_HAVE_OPENSSL
    else {
      ssls.push_back(ConnectTls(ctx, fd, connect));
      if (tls_version.empty()) tls_version = SSL_get_version(ssls.back());
    }
#endif
    fds.push_back(fd);
  }
  nlohmann::json j;
  j["bench"] = "mqtt-idle";
  j["tls"] = tls;
  if (tls) j["tls_version"] = tls_version;
  j = peer::IdleReport(j, opts, fds.size(), t0);
  j["connects_per_s"] = static_cast<double>(fds.size()) / j["ramp_seconds"].get<double>();
  peer::HoldIdle(j, opts);
}

}  // namespace

int main(int argc, char** argv) {
  return peer::Main(argc, argv, "sealpost-bench-mqtt", Flow, Idle);
}
