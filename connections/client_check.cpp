#include "connections/client_check.h"

#include "crypto/bytes.h"
#include "shared/protocol.h"

namespace sp::connections {

ClientVerdict CheckClient(const services::ClientRecord& record, std::string_view remote_pk) {
  using Status = services::ClientRecord::Status;
  if (record.status == Status::Unavailable)
    return {false, false, proto::error_code::kUnavailable,
            "client registry unavailable, retry later"};
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

}  // namespace sp::connections
