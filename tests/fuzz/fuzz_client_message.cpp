// Fuzzes proto::ParseClientMessage (shared/messages.h): the JSON a client
// sends inside the Noise channel, parsed with the server's default
// ParseLimits. The input is the message text itself.
//
// Beyond "no crash", it checks:
// - round trip: an accepted message serialises to text without 0x00 that
//   parses (under the same limits) to an equal message, and serialising that
//   again gives the same text;
// - the limits hold for what is accepted (event fields, id bytes, no
//   server-written field names, a non-empty event.type, no empty names), and
//   they are exact: the same text is accepted with limits equal to the
//   message's own sizes and refused with one less;
// - accepting does not depend on limits being tight: the message also parses,
//   equal, with no limits at all;
// - a refusal names the problem within bounded size (echoed input is cut to
//   64 bytes) and stays valid UTF-8, since it is sent back to the client.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

#include "shared/messages.h"
#include "tests/fuzz/check.h"

namespace proto = sp::proto;

namespace {

// "event." + 64 echoed bytes + "..." is the longest field name; reasons
// echo at most "unknown type '" + 64 + "...'".
constexpr size_t kMaxFieldBytes = 6 + 64 + 3;
constexpr size_t kMaxReasonBytes = 14 + 64 + 4;

std::string SerializeAny(const proto::ClientMessage& m) {
  return std::visit([](const auto& v) { return proto::Serialize(v); }, m);
}

bool Accepted(std::string_view text, const proto::ParseLimits& limits,
              proto::ClientMessage* out = nullptr) {
  auto parsed = proto::ParseClientMessage(text, limits);
  auto* m = std::get_if<proto::ClientMessage>(&parsed);
  if (m != nullptr && out != nullptr) *out = *m;
  return m != nullptr;
}

void CheckEventLimits(std::string_view text, const proto::ClientEvent& e,
                      const proto::ParseLimits& limits) {
  FUZZ_CHECK(!e.id.empty() && e.id.size() <= limits.max_id_bytes);
  FUZZ_CHECK(e.event.size() <= limits.max_event_fields);
  bool has_type = false;
  for (const auto& [name, value] : e.event) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(!proto::IsServerField(name));
    if (name == "type") {
      FUZZ_CHECK(!value.empty());
      has_type = true;
    }
  }
  FUZZ_CHECK(has_type);

  // The limits are exact.
  proto::ParseLimits tight{e.event.size(), e.id.size()};
  FUZZ_CHECK(Accepted(text, tight));
  proto::ParseLimits fewer_fields = tight;
  --fewer_fields.max_event_fields;  // event.size() >= 1: "type" is required
  FUZZ_CHECK(!Accepted(text, fewer_fields));
  proto::ParseLimits shorter_id = tight;
  --shorter_id.max_id_bytes;  // id is never empty
  FUZZ_CHECK(!Accepted(text, shorter_id));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const proto::ParseLimits limits;  // the server's defaults

  auto parsed = proto::ParseClientMessage(text, limits);
  if (const auto* error = std::get_if<proto::ParseError>(&parsed)) {
    FUZZ_CHECK(!error->reason.empty());
    FUZZ_CHECK(error->field.size() <= kMaxFieldBytes);
    FUZZ_CHECK(error->reason.size() <= kMaxReasonBytes);
    FUZZ_CHECK(sp::fuzz::IsUtf8(error->ToString()));
    return 0;
  }
  const auto& message = std::get<proto::ClientMessage>(parsed);

  // Round trip.
  const std::string serialized = SerializeAny(message);
  FUZZ_CHECK(serialized.find('\0') == std::string::npos);
  proto::ClientMessage again;
  FUZZ_CHECK(Accepted(serialized, limits, &again));
  FUZZ_CHECK(again == message);
  FUZZ_CHECK(SerializeAny(again) == serialized);

  // Without limits: still accepted, and the same message.
  constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
  proto::ClientMessage unlimited;
  FUZZ_CHECK(Accepted(text, proto::ParseLimits{kNoLimit, kNoLimit}, &unlimited));
  FUZZ_CHECK(unlimited == message);

  if (const auto* event = std::get_if<proto::ClientEvent>(&message)) {
    CheckEventLimits(text, *event, limits);
  }
  return 0;
}
