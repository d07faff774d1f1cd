// Fuzzes proto::ParseServerMessage and proto::ParseHandshake
// (shared/messages.h): what a client reads from the server, and the plaintext
// handshake frames both sides read before the channel exists. The input is
// the message text itself.
//
// Beyond "no crash", it checks for each parser:
// - round trip: an accepted message serialises to text without 0x00 that
//   parses to an equal message, and serialising that again gives the same
//   text;
// - the two parsers agree on the type: a handshake is never a server
//   message and a server message is never a handshake;
// - a server-event's eventId is a stream id ("<digits>-<digits>") and its
//   event has a non-empty "type";
// - a refusal names the problem within bounded size and stays valid UTF-8.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "shared/messages.h"
#include "tests/fuzz/check.h"

namespace proto = sp::proto;

namespace {

constexpr size_t kMaxFieldBytes = 6 + 64 + 3;
constexpr size_t kMaxReasonBytes = 14 + 64 + 4;

void CheckError(const proto::ParseError& error) {
  FUZZ_CHECK(!error.reason.empty());
  FUZZ_CHECK(error.field.size() <= kMaxFieldBytes);
  FUZZ_CHECK(error.reason.size() <= kMaxReasonBytes);
  FUZZ_CHECK(sp::fuzz::IsUtf8(error.ToString()));
}

bool IsDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

void CheckServerEvent(const proto::ServerEvent& e) {
  const size_t dash = e.event_id.find('-');
  FUZZ_CHECK(dash != std::string::npos);
  FUZZ_CHECK(IsDigits(std::string_view(e.event_id).substr(0, dash)));
  FUZZ_CHECK(IsDigits(std::string_view(e.event_id).substr(dash + 1)));
  bool has_type = false;
  for (const auto& [name, value] : e.event) {
    if (name == "type") {
      FUZZ_CHECK(!value.empty());
      has_type = true;
    }
  }
  FUZZ_CHECK(has_type);
}

std::string SerializeAny(const proto::ServerMessage& m) {
  return std::visit([](const auto& v) { return proto::Serialize(v); }, m);
}

void ServerMessage(std::string_view text) {
  auto parsed = proto::ParseServerMessage(text);
  if (const auto* error = std::get_if<proto::ParseError>(&parsed)) {
    CheckError(*error);
    return;
  }
  const auto& message = std::get<proto::ServerMessage>(parsed);
  if (const auto* event = std::get_if<proto::ServerEvent>(&message)) CheckServerEvent(*event);

  const std::string serialized = SerializeAny(message);
  FUZZ_CHECK(serialized.find('\0') == std::string::npos);
  auto reparsed = proto::ParseServerMessage(serialized);
  const auto* again = std::get_if<proto::ServerMessage>(&reparsed);
  FUZZ_CHECK(again != nullptr);
  FUZZ_CHECK(*again == message);
  FUZZ_CHECK(SerializeAny(*again) == serialized);
  FUZZ_CHECK(std::holds_alternative<proto::ParseError>(proto::ParseHandshake(serialized)));
}

void Handshake(std::string_view text) {
  auto parsed = proto::ParseHandshake(text);
  if (const auto* error = std::get_if<proto::ParseError>(&parsed)) {
    CheckError(*error);
    return;
  }
  const auto& message = std::get<proto::Handshake>(parsed);
  const std::string serialized = proto::Serialize(message);
  FUZZ_CHECK(serialized.find('\0') == std::string::npos);
  auto reparsed = proto::ParseHandshake(serialized);
  const auto* again = std::get_if<proto::Handshake>(&reparsed);
  FUZZ_CHECK(again != nullptr);
  FUZZ_CHECK(*again == message);
  FUZZ_CHECK(proto::Serialize(*again) == serialized);
  FUZZ_CHECK(std::holds_alternative<proto::ParseError>(proto::ParseServerMessage(serialized)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ServerMessage(text);
  Handshake(text);
  return 0;
}
