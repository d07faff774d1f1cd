#include "connections/client_check.h"

#include <functional>

#include "crypto/bytes.h"
#include "shared/protocol.h"

namespace sp::connections {

ClientVerdict UnavailableVerdict() {
  return {false, false, proto::error_code::kUnavailable,
          "client registry unavailable, retry later"};
}

ClientVerdict CheckClient(const services::ClientRecord& record, std::string_view remote_pk) {
  using Status = services::ClientRecord::Status;
  if (record.status == Status::Unavailable) return UnavailableVerdict();
  bool key_matches =
      record.status == Status::Found && record.pk.size() == remote_pk.size() &&
      crypto::ConstantTimeEqual(crypto::AsBytes(record.pk), crypto::AsBytes(remote_pk));
  // One answer for "no such client" and "different key": no probing for ids.
  if (!key_matches)
    return {false, true, proto::error_code::kUnknownClient, "client not provisioned with this key"};
  if (record.disabled)
    return {false, false, proto::error_code::kClientDisabled, "client is disabled"};
  return {true, false, {}, {}};
}

uint64_t KeyTag(std::string_view pk_b64) {
  return std::hash<std::string_view>{}(pk_b64);
}

ClientVerdict RecheckClient(const services::ClientRecord& record, uint64_t key_tag) {
  using Status = services::ClientRecord::Status;
  if (record.status == Status::Unavailable) return {true, false, {}, {}};
  if (record.status != Status::Found)
    return {false, false, proto::error_code::kRevoked, "the client was removed"};
  if (KeyTag(record.pk) != key_tag)
    return {false, false, proto::error_code::kRevoked, "the client's key was changed"};
  if (record.disabled)
    return {false, false, proto::error_code::kClientDisabled, "the client was disabled"};
  return {true, false, {}, {}};
}

}  // namespace sp::connections
