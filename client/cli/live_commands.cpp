// listen, send and shell: a sealpost client on the default libuv loop.
// Exit codes: 0 done, 1 error (one line on stderr).
#include <csignal>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/cli/stdin_lines.h"
#include "shared/messages.h"

namespace sealpost::cli {
namespace {

struct LiveFlags {
  CommonFlags common;
  double timeout_s = -1;  // -1: the command's default
  uint64_t exit_after = 0;
  std::string type;
  std::string data;
  std::string every;
  std::string to;  // send: a client id or group:<name> (empty: sp:inbound)
  uint64_t count = 0;
};

enum class Mode { Listen, Send, Shell };

class Live {
 public:
  Live(const LiveFlags& flags, Mode mode) : flags_(flags), mode_(mode) {}
  int Run();

 private:
  ClientCallbacks Callbacks();
  void OnEvent(const Event& event);
  void OnAckWritten(const std::string& event_id);
  void OnSendAck(const std::string& id);
  void OnError(const ClientError& error);
  void OnLine(const std::string& line);
  void OnInputEnd();
  void SendOne();
  void ArmDeadline(uint64_t ms = 0);
  void Finish(int code, std::string_view message = {});
  template <class Handle>
  void CloseHandle(Handle* h) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(h)))
      uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  }

  const LiveFlags& flags_;
  Mode mode_;
  uv_loop_t* loop_ = uv_default_loop();
  std::unique_ptr<Client> client_;
  std::unique_ptr<StdinLines> stdin_;
  uv_signal_t sigint_;
  uv_signal_t sigterm_;
  uv_timer_t deadline_;
  uv_timer_t every_;
  uint64_t timeout_ms_ = 0;
  uint64_t every_ms_ = 0;
  bool finished_ = false;
  int exit_code_ = 0;
  bool last_refused_ = false;
  bool warned_ = false;  // told the user once that we keep retrying
  uint64_t printed_ = 0;
  std::string last_needed_;  // eventId whose written ack ends --exit-after
  uint64_t queued_ = 0;
  uint64_t acked_ = 0;
  bool input_done_ = false;  // shell: stdin ended, finish once acks are in
};

ClientCallbacks Live::Callbacks() {
  ClientCallbacks cb;
  cb.on_connected = [this](const Welcome& w) {
    uv_timer_stop(&deadline_);
    if (mode_ == Mode::Shell || flags_.common.verbose) {
      std::fprintf(stderr, "connected as %s (node %s at %s)\n", w.client.c_str(), w.node.c_str(),
                   w.server.c_str());
    }
    // A single send keeps its deadline until the ack; the others only wait to connect.
    if (mode_ == Mode::Send && every_ms_ == 0) ArmDeadline();
  };
  cb.on_disconnected = [this](const std::string& reason) {
    if (mode_ == Mode::Shell || flags_.common.verbose)
      std::fprintf(stderr, "disconnected: %s; reconnecting\n", reason.c_str());
    ArmDeadline();
  };
  if (mode_ != Mode::Send) cb.on_event = [this](const Event& e) { OnEvent(e); };
  cb.on_ack_written = [this](const std::string& id) { OnAckWritten(id); };
  cb.on_event_ack = [this](const std::string& id) { OnSendAck(id); };
  cb.on_error = [this](const ClientError& e) { OnError(e); };
  cb.on_server_key_recorded = [](const std::string& server, const std::string& key,
                                 const std::string& file) {
    std::fprintf(stderr,
                 "first connection to %s: its key %s is now trusted (recorded in %s); compare it "
                 "with the server's log line server.public_key\n",
                 server.c_str(), key.c_str(), file.c_str());
  };
  return cb;
}

void Live::OnEvent(const Event& event) {
  PrintLine(EventLine(event));
  printed_++;
  if (flags_.exit_after != 0 && printed_ >= flags_.exit_after) {
    // Take no more: anything after the Nth stays with the server.
    client_->PauseEvents(true);
    last_needed_ = event.event_id;
  }
}

void Live::OnAckWritten(const std::string& event_id) {
  if (!last_needed_.empty() && event_id == last_needed_) Finish(0);
}

void Live::OnSendAck(const std::string& id) {
  acked_++;
  if (mode_ == Mode::Shell)
    PrintLine("ack " + id);
  else if (every_ms_ != 0)  // a periodic sender shows when each was stored
    PrintLine(id + " stored " + IsoTime(sp::proto::NowMs()));
  else
    PrintLine(id);
  bool all_sent =
      mode_ == Mode::Send && (every_ms_ == 0 || (flags_.count && queued_ >= flags_.count));
  if ((all_sent || input_done_) && client_ && client_->PendingSends() == 0) Finish(0);
}

void Live::OnError(const ClientError& e) {
  if (e.fatal) {
    Finish(1, Describe(e));
    return;
  }
  if (!e.id.empty()) {  // a client-event the server refused for good
    if (mode_ == Mode::Shell)
      PrintLine("error " + e.id + ": " + Describe(e));
    else if (every_ms_ != 0)
      Fail(e.id + ": " + Describe(e));
    else
      Finish(1, Describe(e));
    if (input_done_ && client_ && client_->PendingSends() == 0) Finish(0);
    return;
  }
  if (!e.event_id.empty()) return;  // an ack the server had already counted
  last_refused_ = e.code == errors::kConnectionRefused;
  if (flags_.common.verbose) {
    std::fprintf(stderr, "%s; retrying\n", Describe(e).c_str());
  } else if (timeout_ms_ == 0 && !warned_) {
    warned_ = true;  // without a deadline we would otherwise wait in silence
    std::fprintf(stderr, "%s; still trying (Ctrl-C to stop)\n", Describe(e).c_str());
  }
}

void Live::OnLine(const std::string& line) {
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return;
  std::string text = line.substr(start);
  if (text == "exit" || text == "quit") {
    OnInputEnd();
    return;
  }
  size_t space = text.find_first_of(" \t");
  std::string type = text.substr(0, space);
  std::string data;
  if (space != std::string::npos) {
    size_t from = text.find_first_not_of(" \t", space);
    if (from != std::string::npos) data = text.substr(from);
  }
  Client::SendResult sent = client_->SendEvent(type, data);
  if (!sent) PrintLine("error: " + sent.error);
}

void Live::SendOne() {
  Fields extra;
  // "ts" is the server's own field in sp:inbound: the send time gets its own name.
  if (every_ms_ != 0) extra.emplace_back("sentAt", std::to_string(sp::proto::NowMs()));
  Client::SendResult sent =
      client_->SendEventTo(flags_.to, flags_.type, flags_.data, std::move(extra));
  if (!sent) {  // refused here (too large, queue full): the next tick would be refused too
    Finish(1, sent.error);
    return;
  }
  queued_++;
  if (flags_.count != 0 && queued_ >= flags_.count) uv_timer_stop(&every_);
}

// End of input or "exit": what was typed is still sent; quit once the server
// has acknowledged all of it (or the wait runs out).
void Live::OnInputEnd() {
  if (input_done_) return;
  input_done_ = true;
  stdin_->Close();
  if (!client_ || client_->PendingSends() == 0)
    Finish(0);
  else
    ArmDeadline(timeout_ms_ ? timeout_ms_ : 10000);
}

void Live::ArmDeadline(uint64_t ms) {
  if (ms == 0) ms = timeout_ms_;
  if (ms == 0 || finished_) return;
  uv_timer_start(
      &deadline_,
      [](uv_timer_t* t) {
        auto* self = static_cast<Live*>(t->data);
        self->Finish(1, self->last_refused_ ? "connection refused" : "timed out");
      },
      ms, 0);
}

// Ends the run: closes the client and every handle, so uv_run returns.
void Live::Finish(int code, std::string_view message) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = code;
  if (!message.empty()) Fail(message);
  client_.reset();
  if (stdin_) stdin_->Close();
  CloseHandle(&sigint_);
  CloseHandle(&sigterm_);
  CloseHandle(&deadline_);
  CloseHandle(&every_);
}

int Live::Run() {
  double timeout = flags_.timeout_s >= 0 ? flags_.timeout_s : (mode_ == Mode::Send ? 10 : 0);
  timeout_ms_ = static_cast<uint64_t>(timeout * 1000);
  if (!flags_.every.empty() && (!ParseDuration(flags_.every, &every_ms_) || every_ms_ == 0)) {
    return Fail("--every needs a duration such as 3s or 500ms");
  }
  ClientOptions options = ClientOptionsFrom(flags_.common);
  if (timeout_ms_ != 0) options.connect_timeout_ms = std::min<uint64_t>(10000, timeout_ms_);
  client_ = std::make_unique<Client>(loop_, std::move(options), Callbacks());
  std::string error;
  if (!client_->Start(&error)) {
    client_.reset();
    uv_run(loop_, UV_RUN_DEFAULT);
    return Fail(error);
  }
  for (uv_timer_t* t : {&deadline_, &every_}) {
    uv_timer_init(loop_, t);
    t->data = this;
  }
  for (auto [sig, num] : {std::pair{&sigint_, SIGINT}, std::pair{&sigterm_, SIGTERM}}) {
    uv_signal_init(loop_, sig);
    sig->data = this;
    uv_signal_start(
        sig, [](uv_signal_t* s, int) { static_cast<Live*>(s->data)->Finish(0); }, num);
  }
  ArmDeadline();
  if (mode_ == Mode::Send) {
    SendOne();
    if (every_ms_ != 0 && !finished_) {
      uv_timer_start(
          &every_, [](uv_timer_t* t) { static_cast<Live*>(t->data)->SendOne(); }, every_ms_,
          every_ms_);
    }
  } else if (mode_ == Mode::Shell) {
    stdin_ = std::make_unique<StdinLines>(
        loop_, [this](const std::string& line) { OnLine(line); }, [this] { OnInputEnd(); });
    if (!stdin_->Start(&error)) Finish(1, error);
  }
  uv_run(loop_, UV_RUN_DEFAULT);
  stdin_.reset();
  uv_loop_close(loop_);
  return exit_code_;
}

CLI::App* AddLive(CLI::App& app, const char* name, const char* help, LiveFlags* f) {
  CLI::App* sub = app.add_subcommand(name, help);
  AddCommonFlags(sub, &f->common, kServerFlags | kIdFlag | kKeyFlag);
  sub->add_option("--timeout", f->timeout_s,
                  "Seconds to wait for a connection (send: for the ack; default: send 10, "
                  "others forever)");
  return sub;
}

}  // namespace

void AddLiveCommands(CLI::App& app, Commands* out) {
  // One flag set per subcommand: CLI11 applies environment defaults to every
  // subcommand's options, so shared storage would let one overwrite another.
  auto f = std::make_shared<LiveFlags>();
  CLI::App* listen =
      AddLive(app, "listen", "Print each event as a JSON line and acknowledge it", f.get());
  listen->add_option("--exit-after", f->exit_after, "Exit 0 once N events are printed and acked");
  out->emplace_back(listen, [f] { return Live(*f, Mode::Listen).Run(); });

  f = std::make_shared<LiveFlags>();
  CLI::App* send = AddLive(app, "send", "Send a client-event; prints its id once stored", f.get());
  send->add_option("type", f->type, "Event type")->required();
  send->add_option("data", f->data, "Event data")->required();
  send->add_option("--to", f->to,
                   "Send to this client, or to every member of group:<name>, instead of the "
                   "backend's sp:inbound");
  send->add_option("--every", f->every,
                   "Keep sending at this interval (e.g. 3s), each with a sentAt field (ms)");
  send->add_option("--count", f->count, "With --every: stop after N events are acknowledged");
  out->emplace_back(send, [f] { return Live(*f, Mode::Send).Run(); });

  f = std::make_shared<LiveFlags>();
  CLI::App* shell = AddLive(app, "shell",
                            "Interactive: print events; each line '<type> <data>' is sent "
                            "('exit' or end of input quits)",
                            f.get());
  out->emplace_back(shell, [f] { return Live(*f, Mode::Shell).Run(); });
}

}  // namespace sealpost::cli
