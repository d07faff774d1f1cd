#include "connections/transport_frame.h"

#include "connections/loop_context.h"
#include "crypto/bytes.h"
#include "shared/base64.h"

namespace sp::connections {

OpenResult OpenFrame(LoopContext& ctx, crypto::Transport& transport, std::string_view frame,
                     std::string_view* json) {
  size_t cap = frame.size() / 4 * 3 + 3;
  uint8_t* cipher = ctx.Scratch(cap * 2);
  uint8_t* plain = cipher + cap;
  size_t cipher_len = 0;
  // Ciphertext is public: the fast codec, not the constant-time one.
  if (!wire::Base64DecodeTo(frame, cipher, cap, &cipher_len) ||
      cipher_len < crypto::Transport::Overhead())
    return OpenResult::NotBase64;
  if (!transport.Decrypt({cipher, cipher_len}, plain)) return OpenResult::Rejected;
  *json = std::string_view(reinterpret_cast<const char*>(plain),
                           cipher_len - crypto::Transport::Overhead());
  return OpenResult::Ok;
}

SealResult SealFrame(LoopContext& ctx, crypto::Transport& transport, std::string_view json,
                     std::string* out) {
  if (json.size() > crypto::Transport::MaxPlaintext()) return SealResult::TooLarge;
  size_t cipher_len = json.size() + crypto::Transport::Overhead();
  uint8_t* cipher = ctx.Scratch(cipher_len);
  if (!transport.Encrypt(crypto::AsBytes(json), cipher)) return SealResult::NonceExhausted;
  wire::Base64Append(cipher, cipher_len, out);
  out->push_back('\0');
  return SealResult::Ok;
}

}  // namespace sp::connections
