// Whom a client may send to (docs/PROTOCOL.md §6): the "direct" and "groups"
// fields of its sp:{ID}:client over the server's defaults. Pure, so every
// branch is tested alone; the membership lookups it may ask for are Redis's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sp::connections {

struct RoutingPolicy {
  enum class Direct : uint8_t {
    Any,    // to any provisioned client
    None,   // to nobody
    Group,  // only to members of `direct_group`
  };
  enum class Groups : uint8_t {
    Member,  // only to groups the sender belongs to
    Any,     // to any group
    None,    // to no group
  };
  Direct direct = Direct::Any;
  Groups groups = Groups::Member;
  std::string direct_group;

  bool operator==(const RoutingPolicy&) const = default;
};

// "any" | "none" | "group:<name>"; false (and *out unchanged) for anything else.
bool ParseDirectPolicy(std::string_view text, RoutingPolicy* out);
// "member" | "any" | "none"; false (and *out unchanged) for anything else.
bool ParseGroupPolicy(std::string_view text, RoutingPolicy* out);

// A client's policy: each non-empty field of its record over `defaults`. A
// value that does not parse denies that kind of sending: a typo in a record
// must not open what the operator meant to close.
RoutingPolicy ResolvePolicy(const RoutingPolicy& defaults, std::string_view direct,
                            std::string_view groups, bool* valid = nullptr);

}  // namespace sp::connections
