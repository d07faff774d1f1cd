// sealpost/1 transport frames (docs/PROTOCOL.md §3): after the handshake each
// frame is base64(Noise transport message) and its plaintext one JSON
// message. Opening and sealing work in the loop's scratch space: no
// allocation per message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/sealpost_noise.h"

namespace sp::connections {

struct LoopContext;

enum class OpenResult : uint8_t {
  Ok,
  NotBase64,  // or shorter than a tag: a framing error, answered with bad_frame
  Rejected,   // tampered, replayed, reordered or dropped: the channel is over
};

// Decrypts `frame`; on Ok `*json` points into scratch space until its next use.
OpenResult OpenFrame(LoopContext& ctx, crypto::Transport& transport, std::string_view frame,
                     std::string_view* json);

enum class SealResult : uint8_t { Ok, TooLarge, NonceExhausted };

// Encrypts `json` and appends its frame (base64 and the 0x00) to `*out`.
SealResult SealFrame(LoopContext& ctx, crypto::Transport& transport, std::string_view json,
                     std::string* out);

}  // namespace sp::connections
