#include "crypto/noise/patterns.h"

#include <cstring>

namespace sp::crypto::noise {

namespace {

struct PatternText {
  const char* name;
  const char* pre_initiator;  // "" or "s"
  const char* pre_responder;  // "" or "s"
  const char* messages[kMaxMessages];
};

// Spec section 7.4 (one-way), 7.5 (fundamental interactive) and 18
// (deferred). Messages alternate initiator, responder, initiator, ...
constexpr PatternText kPatterns[] = {
    {"N", "", "s", {"e, es"}},
    {"K", "s", "s", {"e, es, ss"}},
    {"X", "", "s", {"e, es, s, ss"}},
    {"NN", "", "", {"e", "e, ee"}},
    {"NK", "", "s", {"e, es", "e, ee"}},
    {"NX", "", "", {"e", "e, ee, s, es"}},
    {"KN", "s", "", {"e", "e, ee, se"}},
    {"KK", "s", "s", {"e, es, ss", "e, ee, se"}},
    {"KX", "s", "", {"e", "e, ee, se, s, es"}},
    {"XN", "", "", {"e", "e, ee", "s, se"}},
    {"XK", "", "s", {"e, es", "e, ee", "s, se"}},
    {"XX", "", "", {"e", "e, ee, s, es", "s, se"}},
    {"IN", "", "", {"e, s", "e, ee, se"}},
    {"IK", "", "s", {"e, es, s, ss", "e, ee, se"}},
    {"IX", "", "", {"e, s", "e, ee, se, s, es"}},
    // Deferred patterns: a DH is postponed by one message.
    {"NK1", "", "s", {"e", "e, ee, es"}},
    {"NX1", "", "", {"e", "e, ee, s", "es"}},
    {"X1N", "", "", {"e", "e, ee", "s", "se"}},
    {"X1K", "", "s", {"e, es", "e, ee", "s", "se"}},
    {"XK1", "", "s", {"e", "e, ee, es", "s, se"}},
    {"X1K1", "", "s", {"e", "e, ee, es", "s", "se"}},
    {"X1X", "", "", {"e", "e, ee, s, es", "s", "se"}},
    {"XX1", "", "", {"e", "e, ee, s", "es, s, se"}},
    {"X1X1", "", "", {"e", "e, ee, s", "es, s", "se"}},
    {"K1N", "s", "", {"e", "e, ee", "se"}},
    {"K1K", "s", "s", {"e, es", "e, ee", "se"}},
    {"KK1", "s", "s", {"e", "e, ee, se, es"}},
    {"K1K1", "s", "s", {"e", "e, ee, es", "se"}},
    {"K1X", "s", "", {"e", "e, ee, s, es", "se"}},
    {"KX1", "s", "", {"e", "e, ee, se, s", "es"}},
    {"K1X1", "s", "", {"e", "e, ee, s", "se, es"}},
    {"I1N", "", "", {"e, s", "e, ee", "se"}},
    {"I1K", "", "s", {"e, es, s", "e, ee", "se"}},
    {"IK1", "", "s", {"e, s", "e, ee, se, es"}},
    {"I1K1", "", "s", {"e, s", "e, ee, es", "se"}},
    {"I1X", "", "", {"e, s", "e, ee, s, es", "se"}},
    {"IX1", "", "", {"e, s", "e, ee, se, s", "es"}},
    {"I1X1", "", "", {"e, s", "e, ee, s", "se, es"}},
};

bool ParseToken(std::string_view word, Token* out) {
  static constexpr struct {
    std::string_view text;
    Token token;
  } kTokens[] = {{"e", Token::E},   {"s", Token::S},   {"ee", Token::EE},
                 {"es", Token::ES}, {"se", Token::SE}, {"ss", Token::SS}};
  for (const auto& t : kTokens) {
    if (t.text == word) {
      *out = t.token;
      return true;
    }
  }
  return false;
}

// "e, ee, s, es" -> tokens. The table is static, so a failure is a bug.
bool ParseMessageText(std::string_view text, MessagePattern* out) {
  out->count = 0;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view word = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    if (out->count == kMaxTokensPerMessage || !ParseToken(word, &out->tokens[out->count])) {
      return false;
    }
    ++out->count;
  }
  return true;
}

bool BuildBasePattern(const PatternText& text, HandshakePattern* out) {
  *out = HandshakePattern{};
  out->initiator_pre_s = std::strcmp(text.pre_initiator, "s") == 0;
  out->responder_pre_s = std::strcmp(text.pre_responder, "s") == 0;
  for (const char* message : text.messages) {
    if (message == nullptr) break;
    if (!ParseMessageText(message, &out->messages[out->message_count])) return false;
    ++out->message_count;
  }
  out->one_way = out->message_count == 1;
  return true;
}

// Parses the digits of "pskN"; no sign, no leading zeros, small values only.
bool ParsePskNumber(std::string_view digits, unsigned* out) {
  if (digits.empty() || digits.size() > 2 || (digits.size() > 1 && digits[0] == '0')) {
    return false;
  }
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  *out = value;
  return true;
}

bool InsertToken(MessagePattern* message, bool at_front, Token token) {
  if (message->count == kMaxTokensPerMessage) return false;
  if (at_front) {
    for (size_t i = message->count; i > 0; --i) message->tokens[i] = message->tokens[i - 1];
    message->tokens[0] = token;
  } else {
    message->tokens[message->count] = token;
  }
  ++message->count;
  return true;
}

// Section 9.2: psk0 goes at the start of the first message, pskN (N >= 1)
// at the end of the N-th message.
Status ApplyPsk(unsigned n, HandshakePattern* pattern) {
  if (n > pattern->message_count) return Status::BadProtocolName;
  MessagePattern* target = &pattern->messages[n == 0 ? 0 : n - 1];
  if (!InsertToken(target, n == 0, Token::Psk)) return Status::BadProtocolName;
  ++pattern->psk_count;
  return Status::Ok;
}

Status ApplyModifiers(std::string_view modifiers, HandshakePattern* pattern) {
  uint32_t seen = 0;
  while (!modifiers.empty()) {
    const size_t plus = modifiers.find('+');
    const std::string_view mod = modifiers.substr(0, plus);
    modifiers = plus == std::string_view::npos ? std::string_view() : modifiers.substr(plus + 1);
    if (plus != std::string_view::npos && modifiers.empty()) return Status::BadProtocolName;
    if (mod == "fallback" || mod == "hfs") return Status::UnsupportedProtocol;
    unsigned n = 0;
    if (!mod.starts_with("psk") || !ParsePskNumber(mod.substr(3), &n)) {
      return Status::BadProtocolName;
    }
    if (n >= 32 || (seen & (1u << n)) != 0) return Status::BadProtocolName;
    seen |= 1u << n;
    if (Status s = ApplyPsk(n, pattern); s != Status::Ok) return s;
  }
  return Status::Ok;
}

bool IsPatternChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

Status ParsePattern(std::string_view name, HandshakePattern* out) {
  size_t base_len = 0;
  while (base_len < name.size() && IsPatternChar(name[base_len])) ++base_len;
  const std::string_view base = name.substr(0, base_len);
  const std::string_view modifiers = name.substr(base_len);
  if (base.empty() || (base[0] >= '0' && base[0] <= '9')) return Status::BadProtocolName;
  if (!modifiers.empty() && (modifiers[0] < 'a' || modifiers[0] > 'z')) {
    return Status::BadProtocolName;
  }
  for (const PatternText& text : kPatterns) {
    if (base != text.name) continue;
    if (!BuildBasePattern(text, out)) return Status::UnsupportedProtocol;
    return ApplyModifiers(modifiers, out);
  }
  return Status::UnsupportedProtocol;  // well-formed, but not a pattern we know
}

namespace {

Status ParseDh(std::string_view dh) {
  if (dh == "25519") return Status::Ok;
  if (dh == "448" || dh.find('+') != std::string_view::npos) return Status::UnsupportedProtocol;
  return Status::BadProtocolName;
}

bool ParseCipher(std::string_view name, CipherKind* out) {
  if (name == "AESGCM") {
    *out = CipherKind::AesGcm;
  } else if (name == "ChaChaPoly") {
    *out = CipherKind::ChaChaPoly;
  } else {
    return false;
  }
  return true;
}

bool ParseHash(std::string_view name, HashKind* out) {
  static constexpr struct {
    std::string_view name;
    HashKind kind;
  } kHashes[] = {{"SHA256", HashKind::Sha256},
                 {"SHA512", HashKind::Sha512},
                 {"BLAKE2s", HashKind::Blake2s},
                 {"BLAKE2b", HashKind::Blake2b}};
  for (const auto& h : kHashes) {
    if (h.name == name) {
      *out = h.kind;
      return true;
    }
  }
  return false;
}

}  // namespace

Status ParseProtocolName(std::string_view name, ProtocolSpec* out) {
  std::string_view parts[5];
  size_t count = 0;
  while (count < 5) {
    const size_t sep = name.find('_');
    parts[count++] = name.substr(0, sep);
    if (sep == std::string_view::npos) {
      name = {};
      break;
    }
    name.remove_prefix(sep + 1);
    if (count == 5) return Status::BadProtocolName;  // a sixth field follows
  }
  if (count != 5 || parts[0] != "Noise") return Status::BadProtocolName;
  for (const auto& part : parts) {
    if (part.empty()) return Status::BadProtocolName;
  }
  ProtocolSpec spec;
  if (!ParseCipher(parts[3], &spec.cipher) || !ParseHash(parts[4], &spec.hash)) {
    return Status::BadProtocolName;
  }
  if (Status s = ParseDh(parts[2]); s != Status::Ok) return s;
  if (Status s = ParsePattern(parts[1], &spec.pattern); s != Status::Ok) return s;
  *out = spec;
  return Status::Ok;
}

}  // namespace sp::crypto::noise
