// Constants of sealpost/1 shared by server and client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sp::proto {

// Largest encoded frame (bytes before the 0x00) accepted by default. A Noise
// message is at most 65535 bytes; its base64 is 87380 bytes.
constexpr size_t kDefaultMaxFrameBytes = 87380;

// Error codes carried in {"type":"error","code":...}.
namespace error_code {
constexpr std::string_view kBadFrame = "bad_frame";
constexpr std::string_view kFrameTooLarge = "frame_too_large";
constexpr std::string_view kBadMessage = "bad_message";
constexpr std::string_view kHandshakeFailed = "handshake_failed";
constexpr std::string_view kUnsupportedProtocol = "unsupported_protocol";
constexpr std::string_view kUnknownClient = "unknown_client";
constexpr std::string_view kClientDisabled = "client_disabled";
constexpr std::string_view kRevoked = "revoked";  // the client's key changed or it was removed
constexpr std::string_view kUnknownEvent = "unknown_event";
constexpr std::string_view kRateLimited = "rate_limited";
constexpr std::string_view kQuota = "quota";  // a client-event over the client's inbound quota
constexpr std::string_view kUnavailable = "unavailable";  // Redis down: retry later
constexpr std::string_view kTimeout = "timeout";
constexpr std::string_view kReplaced = "replaced";  // a newer session for this client
constexpr std::string_view kServerBusy = "server_busy";
// Messaging between clients (docs/PROTOCOL.md §6); the connection stays open.
constexpr std::string_view kUnknownTarget = "unknown_target";  // no such client, or empty group
constexpr std::string_view kForbidden = "forbidden";           // the sender's policy says no
constexpr std::string_view kGroupTooLarge = "group_too_large";
constexpr std::string_view kTargetFull = "target_full";  // too many queued events: retry later
}  // namespace error_code

}  // namespace sp::proto
