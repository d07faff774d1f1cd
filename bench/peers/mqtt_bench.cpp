// sealpost-bench-mqtt: a raw MQTT 3.1.1 load generator for the Mosquitto
// peer. One epoll thread; QoS 1 throughout; a bounded number of messages per
// subscriber between PUBLISH and the subscriber's receipt, so the broker never
// has to drop or queue without bound (delivered == sent is checked).
//
//   flow --port P --subscribers 100 --duration 10 [--rate R] [--cap 40]
//   idle --port P --clients N --hold 10 [--tls]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifdef SPB_HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include "bench/peers/peer_common.h"

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sealpost-bench-mqtt: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

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

int Dial(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) Die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("write");
    off += static_cast<size_t>(n);
  }
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
      if (r <= 0) Die("read");
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
    Die("write");
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

int Flow(const peer::Args& args) {
  std::string host = args.Get("host", "127.0.0.1");
  int port = static_cast<int>(args.Num("port", 1883));
  size_t subs = static_cast<size_t>(args.Num("subscribers", 100));
  double duration = args.Num("duration", 10);
  double rate = args.Num("rate", 0);
  size_t cap = static_cast<size_t>(args.Num("cap", 40));
  size_t payload_bytes = static_cast<size_t>(args.Num("payload", 256));
  double drain_timeout = args.Num("drain-timeout", 60);
  int ep = epoll_create1(0);
  std::vector<Conn> conns(subs + 1);  // [0, subs): subscribers; subs: publisher
  std::vector<std::string> topics;
  for (size_t i = 0; i < subs; ++i) {
    topics.push_back("bench/" + std::to_string(i));
    Conn& c = conns[i];
    c.fd = Dial(host, port);
    WriteAll(c.fd, Connect("sub-" + std::to_string(i), 60));
    if (ReadPacket(c.fd)[0] != 0x20) Die("connack");
    WriteAll(c.fd, Subscribe(1, topics.back()));
    if (static_cast<uint8_t>(ReadPacket(c.fd)[0]) != 0x90) Die("suback");
  }
  Conn& pub = conns[subs];
  pub.fd = Dial(host, port);
  WriteAll(pub.fd, Connect("pub", 60));
  if (ReadPacket(pub.fd)[0] != 0x20) Die("connack");
  for (size_t i = 0; i <= subs; ++i) {
    SetNonBlocking(conns[i].fd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  std::vector<uint64_t> sent(subs, 0), got(subs, 0);
  uint64_t total_sent = 0, total_got = 0, pubacks = 0, dups = 0;
  std::vector<int64_t> lat;
  if (rate > 0) lat.reserve(static_cast<size_t>(rate * duration * 1.1) + 1024);
  uint16_t next_id = 1;
  size_t next_topic = 0;
  int64_t t_start = peer::NowNs();
  int64_t t_stop = t_start + static_cast<int64_t>(duration * 1e9);
  int64_t t_deadline = t_stop + static_cast<int64_t>(drain_timeout * 1e9);
  int64_t t_delivered = 0;
  std::vector<char> buf(1 << 16);
  epoll_event events[128];
  while (true) {
    int64_t now = peer::NowNs();
    bool producing = now < t_stop;
    if (!producing && total_got >= total_sent && pubacks >= total_sent) {
      t_delivered = now;
      break;
    }
    if (now > t_deadline) break;
    if (producing) {
      size_t appended = 0;
      if (rate > 0) {
        uint64_t due = static_cast<uint64_t>(static_cast<double>(now - t_start) * rate / 1e9);
        while (total_sent < due && appended < 4096) {
          int64_t scheduled =
              t_start + static_cast<int64_t>(static_cast<double>(total_sent) * 1e9 / rate);
          size_t t = next_topic;
          next_topic = (next_topic + 1) % subs;
          if (next_id == 0) next_id = 1;
          AppendPublish(&pub.out, next_id++, topics[t],
                        peer::StampedPayload(scheduled, payload_bytes));
          ++sent[t];
          ++total_sent;
          ++appended;
        }
      } else {
        for (size_t k = 0; k < subs && appended < 4096; ++k) {
          size_t t = next_topic;
          next_topic = (next_topic + 1) % subs;
          while (sent[t] - got[t] < cap && appended < 4096) {
            if (next_id == 0) next_id = 1;
            AppendPublish(&pub.out, next_id++, topics[t], peer::StampedPayload(now, payload_bytes));
            ++sent[t];
            ++total_sent;
            ++appended;
          }
        }
      }
      if (appended) Flush(ep, &pub, subs);
    }
    int n = epoll_wait(ep, events, 128, rate > 0 ? 1 : 10);
    for (int e = 0; e < n; ++e) {
      size_t idx = events[e].data.u64;
      Conn& c = conns[idx];
      if (events[e].events & EPOLLOUT) Flush(ep, &c, idx);
      if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      while (true) {
        ssize_t r = read(c.fd, buf.data(), buf.size());
        if (r > 0) {
          c.in.append(buf.data(), static_cast<size_t>(r));
          if (static_cast<size_t>(r) < buf.size()) break;
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        Die(r == 0 ? "broker closed a connection" : "read");
      }
      int64_t recv_ns = peer::NowNs();
      Packets(&c, [&](uint8_t type, const char* body, size_t len) {
        if ((type >> 4) == 4) {  // PUBACK to the publisher
          ++pubacks;
          return;
        }
        if ((type >> 4) != 3 || len < 2) return;
        size_t tlen = (static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1]);
        size_t off = 2 + tlen;
        uint16_t id = 0;
        if (((type >> 1) & 3) > 0) {
          id = static_cast<uint16_t>((static_cast<uint8_t>(body[off]) << 8) |
                                     static_cast<uint8_t>(body[off + 1]));
          off += 2;
          AppendPuback(&c.out, id);
        }
        if (type & 0x08) ++dups;  // DUP flag: a redelivery
        ++got[idx];
        ++total_got;
        if (rate > 0) {
          int64_t stamp = peer::ParseStamp(body + off, len - off);
          if (stamp > 0) lat.push_back(recv_ns - stamp);
        }
      });
      if (!c.out.empty()) Flush(ep, &c, idx);
    }
  }
  nlohmann::json j;
  j["bench"] = rate > 0 ? "mqtt-latency" : "mqtt-throughput";
  j["subscribers"] = subs;
  j["payload"] = payload_bytes;
  j["sent"] = total_sent;
  j["delivered"] = total_got;
  j["pubacks"] = pubacks;
  j["dup_flagged"] = dups;
  j["lost"] = static_cast<long long>(total_sent) - static_cast<long long>(total_got);
  j["phase"] = t_delivered ? "done" : "drain_timeout";
  double produce_s = static_cast<double>(t_stop - t_start) / 1e9;
  if (rate > 0) {
    j["rate"] = rate;
    j["achieved_eps"] = static_cast<double>(total_got) / produce_s;
    j["latency_us"] = peer::LatencySummary(lat);
  } else {
    j["cap"] = cap;
    if (t_delivered)
      j["throughput_eps"] =
          static_cast<double>(total_sent) / (static_cast<double>(t_delivered - t_start) / 1e9);
  }
  peer::Emit(j);
  return t_delivered ? 0 : 1;
}

int Idle(const peer::Args& args) {
  std::string host = args.Get("host", "127.0.0.1");
  int port = static_cast<int>(args.Num("port", 1883));
  size_t clients = static_cast<size_t>(args.Num("clients", 1000));
  double hold = args.Num("hold", 10);
  bool tls = args.Has("tls");
  std::vector<int> fds;
  fds.reserve(clients);
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
  for (size_t i = 0; i < clients; ++i) {
    int fd = Dial(host, port);
    std::string connect = Connect("idle-" + std::to_string(i), 600);
    if (!tls) {
      WriteAll(fd, connect);
      if (ReadPacket(fd)[0] != 0x20) Die("connack");
    }
#ifdef SPB_HAVE_OPENSSL
    else {
      SSL* ssl = SSL_new(ctx);
      SSL_set_fd(ssl, fd);
      if (SSL_connect(ssl) != 1) {
        ERR_print_errors_fp(stderr);
        Die("tls handshake");
      }
      if (tls_version.empty()) tls_version = SSL_get_version(ssl);
      if (SSL_write(ssl, connect.data(), static_cast<int>(connect.size())) <= 0) Die("tls write");
      char ack[4];
      size_t got = 0;
      while (got < 4) {
        int r = SSL_read(ssl, ack + got, static_cast<int>(4 - got));
        if (r <= 0) Die("tls read");
        got += static_cast<size_t>(r);
      }
      if (ack[0] != 0x20) Die("connack");
      ssls.push_back(ssl);
    }
#endif
    fds.push_back(fd);
  }
  double ramp = static_cast<double>(peer::NowNs() - t0) / 1e9;
  nlohmann::json j;
  j["bench"] = "mqtt-idle";
  j["tls"] = tls;
  if (tls) j["tls_version"] = tls_version;
  j["clients"] = clients;
  j["connected"] = fds.size();
  j["ramp_seconds"] = ramp;
  j["connects_per_s"] = static_cast<double>(fds.size()) / ramp;
  j["phase"] = "connected";
  peer::Emit(j);
  usleep(static_cast<useconds_t>(hold * 1e6));
  j["phase"] = "done";
  peer::Emit(j);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  peer::Args args(argc, argv);
  if (args.Command() == "flow") return Flow(args);
  if (args.Command() == "idle") return Idle(args);
  std::fprintf(stderr, "usage: sealpost-bench-mqtt flow|idle [--options]\n");
  return 2;
}
