// The registry's verdict after the handshake: one answer for an unknown id
// and a wrong key, so nobody can probe which ids exist.
#include "connections/client_check.h"

#include <doctest/doctest.h>

using sp::connections::CheckClient;
using sp::services::ClientRecord;

namespace {

ClientRecord Record(ClientRecord::Status status, std::string pk, bool disabled = false) {
  ClientRecord r;
  r.status = status;
  r.pk = std::move(pk);
  r.disabled = disabled;
  return r;
}

}  // namespace

TEST_CASE("the provisioned key is accepted") {
  auto v = CheckClient(Record(ClientRecord::Status::Found, "a2V5"), "a2V5");
  CHECK(v.accepted);
  CHECK_FALSE(v.counts_as_handshake_failure);
}

TEST_CASE("unknown id and wrong key get the same answer") {
  auto unknown = CheckClient(Record(ClientRecord::Status::NotFound, ""), "a2V5");
  auto wrong = CheckClient(Record(ClientRecord::Status::Found, "b3RoZXI="), "a2V5");
  auto shorter = CheckClient(Record(ClientRecord::Status::Found, "a2V"), "a2V5");
  for (const auto& v : {unknown, wrong, shorter}) {
    CHECK_FALSE(v.accepted);
    CHECK(v.counts_as_handshake_failure);
    CHECK(v.code == "unknown_client");
    CHECK(v.message == unknown.message);
  }
}

TEST_CASE("a disabled client is refused only after its key matched") {
  auto disabled = CheckClient(Record(ClientRecord::Status::Found, "a2V5", true), "a2V5");
  CHECK_FALSE(disabled.accepted);
  CHECK(disabled.code == "client_disabled");
  auto impostor = CheckClient(Record(ClientRecord::Status::Found, "a2V5", true), "b3Ro");
  CHECK(impostor.code == "unknown_client");  // a wrong key learns nothing about the state
}

TEST_CASE("a registry that cannot answer asks the client to retry") {
  auto v = CheckClient(Record(ClientRecord::Status::Unavailable, ""), "a2V5");
  CHECK_FALSE(v.accepted);
  CHECK_FALSE(v.counts_as_handshake_failure);
  CHECK(v.code == "unavailable");
}
