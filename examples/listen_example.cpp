// A minimal sealpost listener built on the client library.
//
//   sealpost-example-listen <client-id> <key-file> <server-public-key> [host:port]
//
// Prints "<eventId> <type> <data>" for each event (the library acknowledges it
// once this callback returns) and keeps reconnecting until Ctrl-C, or until
// the server refuses the client for good.
#include <uv.h>

#include <cstdio>
#include <memory>

#include "client/sealpost_client.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s <client-id> <key-file> <server-public-key> [host:port]\n",
                 argv[0]);
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();

  sealpost::ClientOptions options;
  options.client_id = argv[1];
  options.key_file = argv[2];  // created with mode 0600 if it does not exist
  options.server_public_key = argv[3];
  if (argc > 4) options.server = argv[4];

  int exit_code = 0;
  std::unique_ptr<sealpost::Client> client;
  uv_signal_t sigint;

  sealpost::ClientCallbacks callbacks;
  callbacks.on_connected = [](const sealpost::Welcome& w) {
    std::fprintf(stderr, "connected as %s to node %s\n", w.client.c_str(), w.node.c_str());
  };
  callbacks.on_event = [](const sealpost::Event& e) {
    std::printf("%s %.*s %.*s\n", e.event_id.c_str(), static_cast<int>(e.Get("type").size()),
                e.Get("type").data(), static_cast<int>(e.Get("data").size()), e.Get("data").data());
    std::fflush(stdout);
  };
  callbacks.on_disconnected = [](const std::string& reason) {
    std::fprintf(stderr, "disconnected: %s\n", reason.c_str());
  };
  callbacks.on_error = [&](const sealpost::ClientError& e) {
    std::fprintf(stderr, "%s: %s\n", e.code.c_str(), e.message.c_str());
    if (e.fatal) {  // e.g. not provisioned or a server key mismatch: give up
      exit_code = 1;
      client.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
    }
  };

  client = std::make_unique<sealpost::Client>(loop, options, callbacks);
  std::string error;
  if (!client->Start(&error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    client.reset();
    uv_run(loop, UV_RUN_DEFAULT);  // lets the client's handles close
    return 1;
  }
  uv_signal_init(loop, &sigint);
  sigint.data = &client;
  uv_signal_start(
      &sigint,
      [](uv_signal_t* s, int) {
        static_cast<std::unique_ptr<sealpost::Client>*>(s->data)->reset();
        uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
      },
      SIGINT);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return exit_code;
}
