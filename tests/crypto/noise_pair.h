// Builds an initiator/responder pair with fresh random keys for any
// supported protocol name, giving each side exactly the keys its pattern
// needs, and drives handshakes between them.
#pragma once

#include <doctest/doctest.h>
#include <sodium.h>

#include <memory>
#include <string>

#include "crypto/keys.h"
#include "crypto/noise/handshake_state.h"
#include "test_util.h"

namespace sp::crypto::test {

using noise::HandshakeConfig;
using noise::HandshakeState;
using noise::Status;

struct NoisePair {
  std::string protocol;
  KeyPair init_static = GenerateKeyPair();
  KeyPair resp_static = GenerateKeyPair();
  Bytes psks[5];
  std::unique_ptr<HandshakeState> init, resp;

  explicit NoisePair(std::string name) : protocol(std::move(name)) {
    for (auto& psk : psks) {
      psk.resize(32);
      randombytes_buf(psk.data(), psk.size());
    }
  }

  HandshakeConfig Config(bool initiator, const uint8_t* remote_static) const {
    HandshakeConfig config;
    config.protocol_name = protocol;
    config.initiator = initiator;
    config.prologue = AsBytes("test prologue");
    config.local_static_secret = (initiator ? init_static : resp_static).secret.data();
    config.remote_static = remote_static;
    for (const auto& psk : psks) config.psks.emplace_back(psk);
    return config;
  }

  // Both sides get the other's static key as pre-knowledge; patterns that
  // do not pre-know it simply ignore it.
  Status Create() {
    Status s = HandshakeState::Create(Config(true, resp_static.public_key), &init);
    if (s != Status::Ok) return s;
    return HandshakeState::Create(Config(false, init_static.public_key), &resp);
  }

  // Sends one handshake message from whoever's turn it is. Returns the
  // reader's status; `wire` receives the message.
  Status Step(ByteView payload, Bytes* wire, Bytes* received) {
    HandshakeState& writer = init->IsMyTurn() ? *init : *resp;
    HandshakeState& reader = init->IsMyTurn() ? *resp : *init;
    wire->clear();
    REQUIRE(writer.WriteMessage(payload, wire) == Status::Ok);
    received->clear();
    return reader.ReadMessage(*wire, received);
  }

  // Runs the whole handshake with distinct payloads; false on any failure.
  bool Complete() {
    Bytes wire, received;
    for (int i = 0; !init->IsComplete() || !resp->IsComplete(); ++i) {
      if (i > 8) return false;
      const std::string payload = "payload " + std::to_string(i);
      if (Step(AsBytes(payload), &wire, &received) != Status::Ok) return false;
      if (AsChars(received) != payload) return false;
    }
    return true;
  }
};

}  // namespace sp::crypto::test
