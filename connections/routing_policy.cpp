#include "connections/routing_policy.h"

#include "shared/client_id.h"
#include "shared/messages.h"

namespace sp::connections {

bool ParseDirectPolicy(std::string_view text, RoutingPolicy* out) {
  if (text == "any") {
    out->direct = RoutingPolicy::Direct::Any;
    out->direct_group.clear();
    return true;
  }
  if (text == "none") {
    out->direct = RoutingPolicy::Direct::None;
    out->direct_group.clear();
    return true;
  }
  if (text.substr(0, proto::kGroupPrefix.size()) == proto::kGroupPrefix &&
      proto::IsValidClientId(text.substr(proto::kGroupPrefix.size()))) {
    out->direct = RoutingPolicy::Direct::Group;
    out->direct_group = std::string(text.substr(proto::kGroupPrefix.size()));
    return true;
  }
  return false;
}

bool ParseGroupPolicy(std::string_view text, RoutingPolicy* out) {
  if (text == "member")
    out->groups = RoutingPolicy::Groups::Member;
  else if (text == "any")
    out->groups = RoutingPolicy::Groups::Any;
  else if (text == "none")
    out->groups = RoutingPolicy::Groups::None;
  else
    return false;
  return true;
}

RoutingPolicy ResolvePolicy(const RoutingPolicy& defaults, std::string_view direct,
                            std::string_view groups, bool* valid) {
  RoutingPolicy policy = defaults;
  bool ok = true;
  if (!direct.empty() && !ParseDirectPolicy(direct, &policy)) {
    ok = false;
    policy.direct = RoutingPolicy::Direct::None;
    policy.direct_group.clear();
  }
  if (!groups.empty() && !ParseGroupPolicy(groups, &policy)) {
    ok = false;
    policy.groups = RoutingPolicy::Groups::None;
  }
  if (valid != nullptr) *valid = ok;
  return policy;
}

}  // namespace sp::connections
