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
#include <string>

#include "client/sealpost_client.h"

namespace {

struct App {
  std::unique_ptr<sealpost::Client> client;
  uv_signal_t sigint;
  int exit_code = 0;

  // Closing the client and the signal handle lets uv_run return.
  void Quit(int code) {
    exit_code = code;
    client.reset();
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&sigint)))
      uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
  }

  sealpost::ClientCallbacks Callbacks() {
    sealpost::ClientCallbacks cb;
    cb.on_connected = [](const sealpost::Welcome& w) {
      std::fprintf(stderr, "connected as %s to node %s\n", w.client.c_str(), w.node.c_str());
    };
    cb.on_event = [](const sealpost::Event& e) {
      std::string type(e.Get("type"));
      std::string data(e.Get("data"));
      std::printf("%s %s %s\n", e.event_id.c_str(), type.c_str(), data.c_str());
      std::fflush(stdout);
    };
    cb.on_disconnected = [](const std::string& reason) {
      std::fprintf(stderr, "disconnected: %s\n", reason.c_str());
    };
    cb.on_error = [this](const sealpost::ClientError& e) {
      std::fprintf(stderr, "%s: %s\n", e.code.c_str(), e.message.c_str());
      if (e.fatal) Quit(1);  // e.g. not provisioned or a server key mismatch: give up
    };
    return cb;
  }
};

}  // namespace

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

  App app;
  uv_signal_init(loop, &app.sigint);
  app.sigint.data = &app;
  uv_signal_start(
      &app.sigint, [](uv_signal_t* s, int) { static_cast<App*>(s->data)->Quit(0); }, SIGINT);
  app.client = std::make_unique<sealpost::Client>(loop, options, app.Callbacks());
  std::string error;
  if (!app.client->Start(&error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    app.Quit(1);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return app.exit_code;
}
