// sealpost-bench: load generators and floors for scripts/bench. Every
// subcommand prints its result as one JSON line on stdout.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "bench/bench.h"
#include "crypto/keys.h"

namespace {

void AddClientSet(CLI::App* cmd, spb::ClientSetOptions* o, std::string* source_ips) {
  cmd->add_option("--server", o->server,
                  "sealpost-server HOST:PORT, or a list a:p,b:p (client i starts on entry i mod n)")->capture_default_str();
  cmd->add_option("--server-pk", o->server_pk, "Server public key (base64)")->required();
  cmd->add_option("--redis", o->redis, "Redis URL")->capture_default_str();
  cmd->add_option("--prefix", o->prefix, "Client id prefix (ids are PREFIX-INDEX)")
      ->capture_default_str();
  cmd->add_option("--first", o->first, "First client index")->capture_default_str();
  cmd->add_option("--clients", o->clients, "Number of clients")->capture_default_str();
  cmd->add_option("--source-ip", *source_ips,
                  "Source addresses, A.B.C.X-A.B.C.Y or comma separated (round-robin)");
  cmd->add_option("--concurrency", o->concurrency, "Handshakes in progress while ramping up")
      ->capture_default_str();
  cmd->add_option("--connect-timeout", o->connect_timeout, "Seconds allowed for the ramp-up")
      ->capture_default_str();
}

// dm, fanout and their floors share these; the floors need only Redis.
void AddMessaging(CLI::App* cmd, spb::MessagingOptions* o, bool dm) {
  cmd->add_option("--duration", o->duration, "Seconds of sending")->capture_default_str();
  cmd->add_option("--window", o->window,
                  dm ? "Per sender: messages sent, not yet received by the target"
                     : "Group messages sent, not yet received by every member")
      ->capture_default_str();
  cmd->add_option("--payload", o->payload)->capture_default_str();
  cmd->add_option("--drain-timeout", o->drain_timeout, "Seconds allowed for the drain")
      ->capture_default_str();
  if (dm)
    cmd->add_option("--pairs", o->pairs, "Client i sends to client i + pairs")
        ->capture_default_str();
  else
    cmd->add_option("--group", o->group, "Group: the sender (index 0) and the members")
        ->capture_default_str();
}

void AddFloorTarget(CLI::App* cmd, spb::MessagingOptions* o) {
  cmd->add_option("--redis", o->set.redis)->capture_default_str();
  cmd->add_option("--prefix", o->set.prefix, "Client id prefix (ids are PREFIX-INDEX)")
      ->capture_default_str();
  cmd->add_option("--first", o->set.first)->capture_default_str();
  cmd->add_option("--batch", o->batch, "XREADGROUP COUNT (the inflight window)")
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  if (!sp::crypto::InitCrypto()) return 1;
  CLI::App app{"sealpost-bench: sealpost load generators and floors"};
  app.require_subcommand(1);

  spb::X25519Options x;
  auto* x25519 = app.add_subcommand("x25519", "X25519 ops/s on one core and the handshake ceiling");
  x25519->add_option("--seconds", x.seconds)->capture_default_str();

  spb::ProvisionOptions p;
  auto* provision = app.add_subcommand("provision", "HSET the public keys of bench clients");
  provision->add_option("--redis", p.redis)->capture_default_str();
  provision->add_option("--prefix", p.prefix)->capture_default_str();
  provision->add_option("--first", p.first)->capture_default_str();
  provision->add_option("--clients", p.clients)->capture_default_str();

  spb::RedisFloorOptions f;
  auto* floor = app.add_subcommand("redis-floor", "sealpost's Redis command mix without sealpost");
  floor->add_option("--redis", f.redis)->capture_default_str();
  floor->add_option("--prefix", f.prefix)->capture_default_str();
  floor->add_option("--clients", f.clients)->capture_default_str();
  floor->add_option("--duration", f.duration)->capture_default_str();
  floor->add_option("--batch", f.batch, "XREADGROUP COUNT (the inflight window)")
      ->capture_default_str();
  floor->add_option("--backlog", f.backlog)->capture_default_str();
  floor->add_option("--payload", f.payload)->capture_default_str();

  spb::IdleOptions idle;
  std::string idle_ips;
  auto* idle_cmd = app.add_subcommand("idle", "Hold N authenticated, heartbeating connections");
  AddClientSet(idle_cmd, &idle.set, &idle_ips);
  idle_cmd->add_option("--hold", idle.hold, "Seconds to hold after the ramp-up")
      ->capture_default_str();

  spb::FlowOptions tp;
  std::string tp_ips;
  auto* tp_cmd = app.add_subcommand("throughput", "Events/s end to end with a bounded backlog");
  AddClientSet(tp_cmd, &tp.set, &tp_ips);
  // --redis may be redis+cluster://host:port[,...] here (the producer follows MOVED).
  tp_cmd->add_option("--duration", tp.duration)->capture_default_str();
  tp_cmd->add_option("--backlog", tp.backlog, "Per client: XADDed, not yet received")
      ->capture_default_str();
  tp_cmd->add_option("--payload", tp.payload)->capture_default_str();

  spb::FlowOptions lat;
  std::string lat_ips;
  auto* lat_cmd = app.add_subcommand("latency", "XADD-to-receipt latency at a fixed rate");
  AddClientSet(lat_cmd, &lat.set, &lat_ips);
  lat_cmd->add_option("--rate", lat.rate, "Events per second")->required();
  lat_cmd->add_option("--duration", lat.duration)->capture_default_str();
  lat_cmd->add_option("--payload", lat.payload)->capture_default_str();
  lat_cmd->add_option("--drain-timeout", lat.drain_timeout,
                      "Seconds allowed for delivering and acking what was sent")
      ->capture_default_str();

  spb::StormOptions st;
  std::string st_ips;
  auto* st_cmd = app.add_subcommand("storm", "Reconnect storm after a server restart");
  AddClientSet(st_cmd, &st.set, &st_ips);
  st_cmd->add_option("--pending-unacked", st.pending_unacked)->capture_default_str();
  st_cmd->add_option("--pending-new", st.pending_new)->capture_default_str();
  st_cmd->add_option("--timeout", st.timeout)->capture_default_str();
  bool no_wait = false;
  st_cmd->add_flag("--no-wait", no_wait, "Reconnect at once instead of waiting for SIGUSR1");

  spb::MessagingOptions dm;
  std::string dm_ips;
  auto* dm_cmd = app.add_subcommand("dm", "Direct messages between pairs of clients, end to end");
  AddClientSet(dm_cmd, &dm.set, &dm_ips);
  AddMessaging(dm_cmd, &dm, true);
  dm_cmd->add_option("--rate", dm.rate, "Messages/s over all senders (0: closed loop)")
      ->capture_default_str();
  spb::MessagingOptions dmf;
  auto* dmf_cmd = app.add_subcommand("dm-floor", "The Redis work of dm without sealpost");
  AddFloorTarget(dmf_cmd, &dmf);
  AddMessaging(dmf_cmd, &dmf, true);

  spb::MessagingOptions fan;
  fan.window = 8;
  std::string fan_ips;
  auto* fan_cmd = app.add_subcommand("fanout", "One sender to a group, end to end");
  AddClientSet(fan_cmd, &fan.set, &fan_ips);
  AddMessaging(fan_cmd, &fan, false);
  fan_cmd->add_option("--members", fan.members, "Receivers: clients 1..members")
      ->capture_default_str();
  fan_cmd->add_option("--rate", fan.rate, "Group messages/s (0: closed loop)")
      ->capture_default_str();
  spb::MessagingOptions fanf;
  fanf.window = 8;
  auto* fanf_cmd = app.add_subcommand("fanout-floor", "The Redis work of fanout without sealpost");
  AddFloorTarget(fanf_cmd, &fanf);
  AddMessaging(fanf_cmd, &fanf, false);

  spb::WakeupOptions wk;
  auto* wk_cmd = app.add_subcommand(
      "wakeup", "Loopback ping-pong between two processes: back to back vs a sparse rate");
  wk_cmd->add_option("--rate", wk.rate, "Round trips/s of the sparse phases")->capture_default_str();
  wk_cmd->add_option("--seconds", wk.seconds, "Seconds per phase")->capture_default_str();

  spb::HoldCpuLatencyOptions hold;
  auto* hold_cmd = app.add_subcommand(
      "hold-cpu-latency", "Hold /dev/cpu_dma_latency at a value while running (needs root)");
  hold_cmd->add_option("--us", hold.microseconds, "Latency request in microseconds")
      ->capture_default_str();
  hold_cmd->add_option("--seconds", hold.seconds, "Give the request up after this")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (*x25519) return spb::RunX25519(x);
  if (*provision) return spb::RunProvision(p);
  if (*floor) return spb::RunRedisFloor(f);
  if (*idle_cmd) {
    idle.set.source_ips = spb::ExpandSourceIps(idle_ips);
    return spb::RunIdle(idle);
  }
  if (*tp_cmd) {
    tp.set.source_ips = spb::ExpandSourceIps(tp_ips);
    return spb::RunFlow(tp);
  }
  if (*lat_cmd) {
    lat.set.source_ips = spb::ExpandSourceIps(lat_ips);
    return spb::RunFlow(lat);
  }
  if (*st_cmd) {
    st.set.source_ips = spb::ExpandSourceIps(st_ips);
    st.wait_signal = !no_wait;
    return spb::RunStorm(st);
  }
  if (*dm_cmd) {
    dm.set.source_ips = spb::ExpandSourceIps(dm_ips);
    return spb::RunDm(dm);
  }
  if (*dmf_cmd) return spb::RunDmFloor(dmf);
  if (*fan_cmd) {
    fan.set.source_ips = spb::ExpandSourceIps(fan_ips);
    return spb::RunFanout(fan);
  }
  if (*fanf_cmd) return spb::RunFanoutFloor(fanf);
  if (*wk_cmd) return spb::RunWakeup(wk);
  if (*hold_cmd) return spb::RunHoldCpuLatency(hold);
  return 2;
}
