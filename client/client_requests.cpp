// Requests and their replies (docs/PROTOCOL.md §6). A request travels like a
// client-event (kept and resent until the server stores it); its replies are
// ordinary events with "re" = the request id, which are taken here instead
// of going to on_event. A reply with "from" is a direct message from another
// client, never a reply: only workers and the server write replies.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "client/client_impl.h"

namespace sealpost {

using internal::PendingRequest;

namespace {

std::string_view FieldOf(const sp::proto::EventFields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return {};
}

bool HasField(const sp::proto::EventFields& fields, std::string_view name) {
  return std::any_of(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
}

}  // namespace

Client::SendResult Client::Impl::Request(std::string method, std::string params_json,
                                         std::function<void(const Reply&)> on_reply,
                                         RequestOptions options) {
  SendResult result;
  if (!sp::proto::IsValidMethod(method)) {
    result.error = "method must be 1-64 of A-Z a-z 0-9 _ . -";
    return result;
  }
  if (!on_reply) {
    result.error = "a request needs a reply callback";
    return result;
  }
  sp::proto::Request message;
  message.method = std::move(method);
  if (params_json.empty()) {
    message.params = "null";
  } else {
    // Compact, and valid: the server would refuse the whole message otherwise.
    auto parsed = nlohmann::json::parse(params_json, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
      result.error = "params are not valid JSON";
      return result;
    }
    message.params = parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  internal::PendingSend p;
  p.id = NextId();
  message.id = p.id;
  message.ts = sp::proto::NowMs();
  size_t json = sp::proto::Serialize(message).size();
  p.message = std::move(message);
  std::string id = p.id;
  result = Admit(std::move(p), json);
  if (!result) return result;
  PendingRequest& r = requests_[id];
  r.deadline = uv_now(loop_) + options.timeout_ms;
  r.on_reply = std::move(on_reply);
  r.on_part = std::move(options.on_part);
  Arm();
  return result;
}

bool Client::Impl::IsAwaitedReply(const sp::proto::EventFields& fields) const {
  if (requests_.empty() || HasField(fields, "from")) return false;
  std::string_view re = FieldOf(fields, "re");
  return !re.empty() && requests_.count(std::string(re)) != 0;
}

bool Client::Impl::TakeReply(const Event& event) {
  if (!IsAwaitedReply(event.fields)) return false;
  std::string id(event.Get("re"));
  auto it = requests_.find(id);
  it->second.parts.push_back(event);
  if (event.Get("last") == "0") {
    if (it->second.on_part && !destroying_) it->second.on_part(event);
    return true;
  }
  FinishRequest(id, {});
  return true;
}

void Client::Impl::FinishRequest(const std::string& id, ClientError error) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  PendingRequest done = std::move(it->second);
  requests_.erase(it);
  if (!error.code.empty()) {
    // Nothing more will answer it: stop resending it too.
    pending_.erase(std::remove_if(pending_.begin(), pending_.end(),
                                  [&](const internal::PendingSend& p) { return p.id == id; }),
                   pending_.end());
  }
  if (destroying_) return;
  Reply reply;
  reply.request_id = id;
  reply.parts = std::move(done.parts);
  reply.error = std::move(error);
  done.on_reply(reply);
}

void Client::Impl::ExpireRequests(uint64_t now) {
  std::vector<std::string> expired;
  for (const auto& [id, r] : requests_) {
    if (now >= r.deadline) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    FinishRequest(id, {std::string(errors::kTimeout),
                       "no reply to request " + id + " in time",
                       false,
                       false,
                       id,
                       {}});
  }
}

uint64_t Client::Impl::NextRequestDeadline() const {
  uint64_t next = 0;
  for (const auto& [id, r] : requests_) {
    if (next == 0 || r.deadline < next) next = r.deadline;
  }
  return next;
}

}  // namespace sealpost
