// chat: an interactive room on top of the server's messaging. Lines go to
// the room's group, "/pm <id> <text>" to one client, "/who" asks the server
// who is in the room, "/quit" (or Ctrl-D) leaves. Join and leave notices are
// the server's presence events for the room (sealpost group presence <room> on).
// Everything travels as events: queued while a member is offline, encrypted
// on the wire, at least once and deduplicated by the library.
#include <csignal>
#include <memory>

#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/cli/line_editor.h"
#include "shared/client_id.h"
#include "shared/messages.h"
#include "shared/protocol.h"

namespace sealpost::cli {
namespace {

constexpr std::string_view kChatType = "chat";

struct ChatFlags {
  CommonFlags common;
  std::string room;
};

class Chat {
 public:
  explicit Chat(const ChatFlags& flags) : flags_(flags) {}
  int Run();

 private:
  void OnEvent(const Event& event);
  void OnError(const ClientError& error);
  void OnLine(const std::string& line);
  void SendTo(const std::string& to, const std::string& text, std::string target_name);
  void Who();
  void Say(std::string_view line) { editor_->Print(line); }
  void Finish(int code, std::string_view message = {});

  const ChatFlags& flags_;
  uv_loop_t* loop_ = uv_default_loop();
  std::unique_ptr<Client> client_;
  std::unique_ptr<LineEditor> editor_;
  uv_signal_t sigint_;
  bool connected_once_ = false;
  bool finished_ = false;
  int exit_code_ = 0;
  // Sent ids and whom they were for, to word the server's refusals.
  std::vector<std::pair<std::string, std::string>> sent_;
};

void Chat::OnEvent(const Event& e) {
  std::string_view type = e.Get("type");
  std::string_view from = e.Get("from");
  std::string_view to = e.Get("to");
  if (type == "presence") {
    Say("* " + std::string(e.Get("client")) + " " + std::string(e.Get("data")) + " " +
        std::string(e.Get("group")));
  } else if (type == kChatType && !to.empty()) {
    std::string room(to.substr(sp::proto::kGroupPrefix.size()));
    Say("[" + room + "] " + std::string(from) + ": " + std::string(e.Get("data")));
  } else if (type == kChatType && !from.empty()) {
    Say("[pm from " + std::string(from) + "] " + std::string(e.Get("data")));
  } else {
    Say("* event " + std::string(type) + ": " + std::string(e.Get("data")));
  }
}

void Chat::OnError(const ClientError& e) {
  if (e.fatal) return Finish(1, Describe(e));
  if (e.id.empty()) return;  // connection trouble: the library reconnects
  std::string target;
  for (auto it = sent_.begin(); it != sent_.end(); ++it) {
    if (it->first == e.id) {
      target = it->second;
      sent_.erase(it);
      break;
    }
  }
  namespace ec = sp::proto::error_code;
  if (e.code == ec::kUnknownTarget && target.rfind("group:", 0) != 0)
    Say("* user not found: " + target);
  else if (e.code == ec::kForbidden)
    Say("* not allowed: " + e.message);
  else
    Say("* not sent: " + Describe(e));
}

void Chat::SendTo(const std::string& to, const std::string& text, std::string target_name) {
  Client::SendResult sent = client_->SendEventTo(to, std::string(kChatType), text);
  if (!sent) {
    Say("* not sent: " + sent.error);
    return;
  }
  sent_.emplace_back(sent.id, std::move(target_name));
  if (sent_.size() > 1000) sent_.erase(sent_.begin());  // refusals come quickly or never
}

void Chat::Who() {
  nlohmann::json params{{"group", flags_.room}};
  Client::SendResult sent = client_->Request("who", params.dump(), [this](const Reply& reply) {
    if (!reply) return Say("* who: " + Describe(reply.error));
    auto members = nlohmann::json::parse(reply.Final().Get("data"), nullptr, false);
    if (!members.is_array()) return Say("* who: the server's answer is not a list");
    std::string line = "* in " + flags_.room + ":";
    for (const auto& m : members) {
      if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
      bool online = m.contains("online") && m["online"].is_boolean() && m["online"].get<bool>();
      line += " " + m["id"].get<std::string>() + (online ? " (online)" : " (offline)");
    }
    Say(line);
  });
  if (!sent) Say("* who: " + sent.error);
}

void Chat::OnLine(const std::string& line) {
  if (line.empty()) return;
  if (line == "/quit" || line == "/exit") return Finish(0);
  if (line == "/who") return Who();
  if (line == "/help") {
    Say("* lines go to " + flags_.room + "; /pm <id> <text>, /who, /quit");
    return;
  }
  if (line.rfind("/pm", 0) == 0 && (line.size() == 3 || line[3] == ' ')) {
    size_t id_start = line.find_first_not_of(' ', 3);
    size_t id_end = id_start == std::string::npos ? id_start : line.find(' ', id_start);
    size_t text_start =
        id_end == std::string::npos ? std::string::npos : line.find_first_not_of(' ', id_end);
    if (text_start == std::string::npos) {
      Say("* usage: /pm <id> <text>");
      return;
    }
    std::string id = line.substr(id_start, id_end - id_start);
    if (!sp::proto::IsValidTarget(id) || id.rfind("group:", 0) == 0) {
      Say("* user not found: " + id);
      return;
    }
    SendTo(id, line.substr(text_start), id);
    return;
  }
  if (line[0] == '/') {
    Say("* unknown command " + line.substr(0, line.find(' ')) + " (/help)");
    return;
  }
  SendTo("group:" + flags_.room, line, "group:" + flags_.room);
}

void Chat::Finish(int code, std::string_view message) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = code;
  if (editor_) editor_->Close();
  if (!message.empty()) Fail(message);
  client_.reset();
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&sigint_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
}

int Chat::Run() {
  if (!sp::proto::IsValidClientId(flags_.room))
    return Fail("invalid room name '" + flags_.room + "' (1-64 of A-Z a-z 0-9 _ . -)");
  editor_ = std::make_unique<LineEditor>(
      loop_, flags_.room + "> ", [this](const std::string& line) { OnLine(line); },
      [this] { Finish(0); });
  ClientCallbacks cb;
  cb.on_event = [this](const Event& e) { OnEvent(e); };
  cb.on_error = [this](const ClientError& e) { OnError(e); };
  cb.on_connected = [this](const Welcome& w) {
    if (!connected_once_)
      Say("* connected as " + w.client + " to room " + flags_.room + " (/help for commands)");
    connected_once_ = true;
  };
  cb.on_disconnected = [this](const std::string& reason) {
    Say("* disconnected (" + reason + "); reconnecting");
  };
  client_ = std::make_unique<Client>(loop_, ClientOptionsFrom(flags_.common), std::move(cb));
  std::string error;
  if (!client_->Start(&error)) {
    client_.reset();
    editor_.reset();
    uv_run(loop_, UV_RUN_DEFAULT);
    return Fail(error);
  }
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;
  uv_signal_start(
      &sigint_, [](uv_signal_t* s, int) { static_cast<Chat*>(s->data)->Finish(0); }, SIGINT);
  if (!editor_->Start(&error)) Finish(1, error);
  uv_run(loop_, UV_RUN_DEFAULT);
  editor_.reset();
  uv_loop_close(loop_);
  return exit_code_;
}

}  // namespace

void AddChatCommand(CLI::App& app, Commands* out) {
  auto f = std::make_shared<ChatFlags>();
  CLI::App* sub = app.add_subcommand(
      "chat", "Interactive chat in a room (a group): /pm <id> <text>, /who, /quit");
  AddCommonFlags(sub, &f->common, kServerFlags | kIdFlag | kKeyFlag);
  sub->add_option("--room", f->room, "Room: the group its lines go to")->required();
  out->emplace_back(sub, [f] { return Chat(*f).Run(); });
}

}  // namespace sealpost::cli
