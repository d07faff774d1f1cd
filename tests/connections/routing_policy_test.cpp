#include "connections/routing_policy.h"

#include <doctest/doctest.h>

using sp::connections::ResolvePolicy;
using sp::connections::RoutingPolicy;

TEST_CASE("a client's routing policy: its record over the server's defaults") {
  RoutingPolicy defaults;  // direct any, groups member
  SUBCASE("an empty record keeps the defaults") {
    bool valid = false;
    CHECK(ResolvePolicy(defaults, "", "", &valid) == defaults);
    CHECK(valid);
  }
  SUBCASE("each field overrides its own part") {
    RoutingPolicy p = ResolvePolicy(defaults, "group:staff", "any");
    CHECK(p.direct == RoutingPolicy::Direct::Group);
    CHECK(p.direct_group == "staff");
    CHECK(p.groups == RoutingPolicy::Groups::Any);
    p = ResolvePolicy(defaults, "none", "");
    CHECK(p.direct == RoutingPolicy::Direct::None);
    CHECK(p.groups == RoutingPolicy::Groups::Member);
  }
  SUBCASE("a value that does not parse denies rather than opens") {
    RoutingPolicy open_defaults;
    open_defaults.groups = RoutingPolicy::Groups::Any;
    bool valid = true;
    RoutingPolicy p = ResolvePolicy(open_defaults, "everyone", "all", &valid);
    CHECK_FALSE(valid);
    CHECK(p.direct == RoutingPolicy::Direct::None);
    CHECK(p.groups == RoutingPolicy::Groups::None);
    CHECK(ResolvePolicy(defaults, "group:", "").direct == RoutingPolicy::Direct::None);
    CHECK(ResolvePolicy(defaults, "group:a b", "").direct == RoutingPolicy::Direct::None);
  }
}
