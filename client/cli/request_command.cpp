// request: ask a worker or the server (echo, time, who) and print the reply.
// With --interactive, each line of input is the params of one more request
// of the same method, answered in turn; "exit" (or end of input) quits.
// Exit codes: 0 every request answered, 1 an error (one line on stderr).
#include <csignal>
#include <deque>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/cli/stdin_lines.h"

namespace sealpost::cli {
namespace {

struct RequestFlags {
  CommonFlags common;
  std::string method;
  std::string params;
  bool params_given = false;
  bool interactive = false;
  bool json = false;
  double timeout_s = 10;
};

// Text as params: JSON when it parses as JSON, else a JSON string of it, so
// `request query SetA-Two` and `request echo '{"x":1}'` both do the obvious.
std::string ParamsOf(const std::string& text) {
  if (text.empty()) return "null";
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) return text;
  return Dump(nlohmann::ordered_json(text));
}

class RequestRun {
 public:
  explicit RequestRun(const RequestFlags& flags) : flags_(flags) {}
  int Run();

 private:
  void Ask(const std::string& params_text);
  void OnLine(const std::string& line);
  void Next();
  void Print(const Event& part);
  void Finish(int code, std::string_view message = {});

  const RequestFlags& flags_;
  uv_loop_t* loop_ = uv_default_loop();
  std::unique_ptr<Client> client_;
  std::unique_ptr<StdinLines> stdin_;
  uv_signal_t sigint_;
  std::deque<std::string> waiting_;  // interactive lines not asked yet
  bool busy_ = false;                // a request is waiting for its reply
  bool input_done_ = false;
  bool finished_ = false;
  // The reply event whose ack must reach the socket before we exit: leaving
  // earlier would leave the reply queued for this client's next session.
  std::string last_reply_id_;
  bool finish_when_acked_ = false;
  void FinishAfterAck() {
    if (last_reply_id_.empty())
      Finish(exit_code_);
    else
      finish_when_acked_ = true;
  }
  int exit_code_ = 0;
};

void RequestRun::Print(const Event& part) {
  PrintLine(flags_.json ? EventLine(part) : std::string(part.Get("data")));
}

void RequestRun::Ask(const std::string& params_text) {
  RequestOptions options;
  options.timeout_ms = static_cast<uint64_t>(flags_.timeout_s * 1000);
  options.on_part = [this](const Event& part) { Print(part); };
  busy_ = true;
  Client::SendResult sent = client_->Request(
      flags_.method, ParamsOf(params_text),
      [this](const Reply& reply) {
        busy_ = false;
        if (!reply) {
          if (!flags_.interactive) return Finish(1, Describe(reply.error));
          Fail(Describe(reply.error));
          exit_code_ = 1;
        } else {
          Print(reply.Final());  // the parts before it were printed as they came
          last_reply_id_ = reply.Final().event_id;
        }
        Next();
      },
      std::move(options));
  if (!sent) {
    busy_ = false;
    if (!flags_.interactive) return Finish(1, sent.error);
    Fail(sent.error);
    exit_code_ = 1;
  }
}

void RequestRun::OnLine(const std::string& line) {
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return;
  size_t end = line.find_last_not_of(" \t\r");
  std::string text = line.substr(start, end - start + 1);
  if (text == "exit" || text == "quit") {
    input_done_ = true;
    stdin_->Close();
  } else {
    waiting_.push_back(text);
  }
  Next();
}

// One request at a time, so answers print in the order they were asked.
void RequestRun::Next() {
  if (finished_) return;
  if (!flags_.interactive) {
    if (!busy_) FinishAfterAck();
    return;
  }
  if (busy_) return;
  if (!waiting_.empty()) {
    std::string text = std::move(waiting_.front());
    waiting_.pop_front();
    Ask(text);
    return;
  }
  if (input_done_) FinishAfterAck();
}

void RequestRun::Finish(int code, std::string_view message) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = code;
  if (!message.empty()) Fail(message);
  client_.reset();
  if (stdin_) stdin_->Close();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&sigint_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
}

int RequestRun::Run() {
  if (flags_.interactive && flags_.params_given)
    return Fail("give params or --interactive, not both");
  ClientCallbacks cb;
  cb.on_error = [this](const ClientError& e) {
    if (e.fatal) Finish(1, Describe(e));
  };
  // Lost before the ack left: the reply comes back to a later session; we
  // have printed it and are done.
  cb.on_disconnected = [this](const std::string&) {
    if (finish_when_acked_) Finish(exit_code_);
  };
  cb.on_ack_written = [this](const std::string& event_id) {
    if (last_reply_id_.empty() || event_id != last_reply_id_) return;
    last_reply_id_.clear();
    if (finish_when_acked_) Finish(exit_code_);
  };
  // Events that are not replies to us stay queued for the client's listener.
  ClientOptions options = ClientOptionsFrom(flags_.common);
  options.connect_timeout_ms =
      std::min<uint64_t>(10000, static_cast<uint64_t>(flags_.timeout_s * 1000) + 1);
  client_ = std::make_unique<Client>(loop_, std::move(options), std::move(cb));
  std::string error;
  if (!client_->Start(&error)) {
    client_.reset();
    uv_run(loop_, UV_RUN_DEFAULT);
    return Fail(error);
  }
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;
  uv_signal_start(
      &sigint_, [](uv_signal_t* s, int) { static_cast<RequestRun*>(s->data)->Finish(130); },
      SIGINT);
  if (flags_.interactive) {
    stdin_ = std::make_unique<StdinLines>(
        loop_, [this](const std::string& line) { OnLine(line); },
        [this] {
          input_done_ = true;
          Next();
        });
    if (!stdin_->Start(&error)) Finish(1, error);
  } else {
    Ask(flags_.params);
  }
  uv_run(loop_, UV_RUN_DEFAULT);
  stdin_.reset();
  uv_loop_close(loop_);
  return exit_code_;
}

}  // namespace

void AddRequestCommand(CLI::App& app, Commands* out) {
  auto f = std::make_shared<RequestFlags>();
  CLI::App* sub = app.add_subcommand(
      "request",
      "Send a request and print its reply's data, one line per part (server methods: echo, "
      "time, who; others go to workers on sp:requests:<method>)");
  AddCommonFlags(sub, &f->common, kServerFlags | kIdFlag | kKeyFlag);
  sub->add_option("method", f->method, "Method")->required();
  sub->add_option("params", f->params, "Params: JSON, or text sent as a JSON string")
      ->each([f](const std::string&) { f->params_given = true; });
  sub->add_flag("-i,--interactive", f->interactive,
                "Read params line by line from stdin, one request each ('exit' quits)");
  sub->add_flag("--json", f->json, "Print each reply event as a JSON line");
  sub->add_option("--timeout", f->timeout_s, "Seconds to wait for each reply")
      ->capture_default_str();
  out->emplace_back(sub, [f] { return RequestRun(*f).Run(); });
}

}  // namespace sealpost::cli
