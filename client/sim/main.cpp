// sealpost-sim: load simulator (see client/sim/sim.h).
#include <csignal>

#include "client/sim/sim.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  sealpost::sim::Config c;
  CLI::App app{
      "sealpost-sim: N clients on one loop against a real server and Redis; prints a JSON "
      "summary as the last line of stdout and exits 1 if any event was lost"};
  app.add_option("--clients", c.clients, "Number of simulated clients")->capture_default_str();
  app.add_option("--duration", c.duration_s, "Seconds of pushing events")->capture_default_str();
  app.add_option("--rate", c.rate, "Events pushed per second, over all clients")
      ->capture_default_str();
  app.add_option("--payload", c.payload, "Bytes of data per event")->capture_default_str();
  app.add_option("--churn", c.churn, "Percent of clients reconnected per second")
      ->capture_default_str();
  app.add_option("--client-events", c.client_events, "Client-events sent per second in total")
      ->capture_default_str();
  app.add_flag("--split-handshake", c.split_handshake,
               "Write each handshake frame in 4 pieces with small random pauses");
  app.add_option("--id-prefix", c.id_prefix, "Client id prefix (default sim-<pid>-)");
  app.add_flag("--keep", c.keep, "Keep the simulated clients' Redis keys");
  app.add_option("--drain", c.drain_s, "Seconds to wait for the last deliveries")
      ->capture_default_str();
  app.add_option("--connect-wait", c.connect_wait_s, "Seconds to wait for all clients to connect")
      ->capture_default_str();
  app.add_option("--connect-rate", c.connect_rate, "New connections started per second")
      ->capture_default_str();
  app.add_option("--wait-replicas", c.wait_replicas,
                 "After each push, WAIT for this many replicas; a push not confirmed by them "
                 "(a failover may lose it) is not counted lost if it never arrives")
      ->capture_default_str();
  app.add_option("--source-ips", c.source_ips,
                 "Spread clients over 127.0.0.2..N+1 (default: automatic for a loopback server)");
  sealpost::cli::AddCommonFlags(&app, &c.common,
                                sealpost::cli::kServerFlags | sealpost::cli::kRedisFlags);
  CLI11_PARSE(app, argc, argv);
  return sealpost::sim::Sim(std::move(c)).Run();
}
