// Handshake patterns (spec sections 7 and 9) and protocol-name parsing
// (section 8). Patterns are stored as text exactly as the spec prints them
// and turned into token tables on demand, so the table is easy to audit.
#pragma once

#include <cstdint>
#include <string_view>

#include "crypto/noise/cipher_state.h"
#include "crypto/noise/handshake_state.h"
#include "crypto/noise/suite.h"

namespace sp::crypto::noise {

enum class Token : uint8_t { E, S, EE, ES, SE, SS, Psk };

constexpr size_t kMaxTokensPerMessage = 8;  // largest base message (5) + psk tokens
constexpr size_t kMaxMessages = 4;          // deferred patterns such as X1X1 have four
constexpr size_t kMaxPsks = kMaxMessages + 1;

struct MessagePattern {
  Token tokens[kMaxTokensPerMessage] = {};
  uint8_t count = 0;
};

struct HandshakePattern {
  // Pre-messages: public keys each side knows before the first message. Only
  // `s` appears here; `e` pre-messages exist only in fallback patterns.
  bool initiator_pre_s = false;
  bool responder_pre_s = false;
  MessagePattern messages[kMaxMessages];
  uint8_t message_count = 0;
  bool one_way = false;   // N, K, X: a single initiator -> responder message
  uint8_t psk_count = 0;  // psk tokens after applying the pskN modifiers
};

// True if the message with this index is sent by the initiator.
inline bool SentByInitiator(const HandshakePattern& p, size_t index) {
  return p.one_way || index % 2 == 0;
}

// Parses a pattern with optional modifiers: "XX", "XXpsk3", "NNpsk0+psk2",
// "X1X1". Returns Ok, BadProtocolName (malformed) or UnsupportedProtocol
// (well-formed but not implemented: fallback, hfs, unknown base patterns).
[[nodiscard]] Status ParsePattern(std::string_view name, HandshakePattern* out);

struct ProtocolSpec {
  HandshakePattern pattern;
  CipherKind cipher = CipherKind::ChaChaPoly;
  HashKind hash = HashKind::Sha256;
};

// Parses "Noise_<pattern>_<dh>_<cipher>_<hash>" strictly (section 8).
[[nodiscard]] Status ParseProtocolName(std::string_view name, ProtocolSpec* out);

}  // namespace sp::crypto::noise
