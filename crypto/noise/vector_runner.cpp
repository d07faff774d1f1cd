#include "crypto/noise/vector_runner.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/bytes.h"
#include "crypto/noise/handshake_state.h"
#include "crypto/noise/patterns.h"

namespace sp::crypto::noise {

namespace {

using json = nlohmann::json;

struct Side {
  Bytes prologue;
  std::vector<Bytes> psks;
  Bytes s, e, rs;  // empty when absent
};

struct Message {
  Bytes payload;
  Bytes ciphertext;
};

struct Vector {
  std::string protocol;
  Side init, resp;
  Bytes handshake_hash;  // empty when absent
  std::vector<Message> messages;
};

// Reads an optional hex string field; absent and null are both "empty".
bool ReadHex(const json& v, const std::string& key, Bytes* out, std::string* err) {
  out->clear();
  const auto it = v.find(key);
  if (it == v.end() || it->is_null()) return true;
  if (it->is_string() && HexDecode(it->get_ref<const std::string&>(), out)) return true;
  *err = "field " + key + " is not a hex string";
  return false;
}

bool ReadKey(const json& v, const std::string& key, Bytes* out, std::string* err) {
  if (!ReadHex(v, key, out, err)) return false;
  if (out->empty() || out->size() == 32) return true;
  *err = "field " + key + " is not 32 bytes";
  return false;
}

// Psks come as "<side>_psks" (array) or, in older files, "<side>_psk" (string).
bool ReadPsks(const json& v, const std::string& side, std::vector<Bytes>* out, std::string* err) {
  out->clear();
  const auto it = v.find(side + "_psks");
  if (it == v.end() || it->is_null()) {
    Bytes single;
    if (!ReadKey(v, side + "_psk", &single, err)) return false;
    if (!single.empty()) out->push_back(std::move(single));
    return true;
  }
  if (!it->is_array()) {
    *err = "field " + side + "_psks is not an array";
    return false;
  }
  for (const json& item : *it) {
    Bytes psk;
    if (!item.is_string() || !HexDecode(item.get_ref<const std::string&>(), &psk) ||
        psk.size() != 32) {
      *err = "field " + side + "_psks holds a value that is not 32 hex bytes";
      return false;
    }
    out->push_back(std::move(psk));
  }
  return true;
}

bool ReadSide(const json& v, const std::string& side, Side* out, std::string* err) {
  return ReadHex(v, side + "_prologue", &out->prologue, err) &&
         ReadPsks(v, side, &out->psks, err) && ReadKey(v, side + "_static", &out->s, err) &&
         ReadKey(v, side + "_ephemeral", &out->e, err) &&
         ReadKey(v, side + "_remote_static", &out->rs, err);
}

std::string StringField(const json& v, const char* key) {
  const auto it = v.find(key);
  return it != v.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Current files carry protocol_name; older ones split it into fields.
std::string ProtocolNameOf(const json& v) {
  std::string name = StringField(v, "protocol_name");
  if (!name.empty()) return name;
  const std::string pattern = StringField(v, "pattern");
  const std::string dh = StringField(v, "dh");
  const std::string cipher = StringField(v, "cipher");
  const std::string hash = StringField(v, "hash");
  if (!pattern.empty() && !dh.empty() && !cipher.empty() && !hash.empty()) {
    return "Noise_" + pattern + "_" + dh + "_" + cipher + "_" + hash;
  }
  // Last resort: a name that is not a valid Noise name is skipped as unsupported.
  return StringField(v, "name");
}

bool ReadMessages(const json& v, std::vector<Message>* out, std::string* err) {
  const auto it = v.find("messages");
  if (it == v.end() || !it->is_array()) {
    *err = "no messages array";
    return false;
  }
  for (const json& item : *it) {
    Message m;
    if (!item.is_object() || !ReadHex(item, "payload", &m.payload, err) ||
        !ReadHex(item, "ciphertext", &m.ciphertext, err)) {
      if (err->empty()) *err = "a message is not an object";
      return false;
    }
    out->push_back(std::move(m));
  }
  return true;
}

bool ParseVector(const json& v, Vector* out, std::string* err) {
  if (!v.is_object()) {
    *err = "vector is not an object";
    return false;
  }
  return ReadSide(v, "init", &out->init, err) && ReadSide(v, "resp", &out->resp, err) &&
         ReadHex(v, "handshake_hash", &out->handshake_hash, err) &&
         ReadMessages(v, &out->messages, err);
}

struct Party {
  std::unique_ptr<HandshakeState> hs;
  CipherState c1, c2;
};

const uint8_t* KeyOrNull(const Bytes& key) {
  return key.empty() ? nullptr : key.data();
}

Status CreateParty(const Vector& v, bool initiator, Party* out) {
  const Side& side = initiator ? v.init : v.resp;
  HandshakeConfig config;
  config.protocol_name = v.protocol;
  config.initiator = initiator;
  config.prologue = side.prologue;
  config.local_static_secret = KeyOrNull(side.s);
  config.local_ephemeral_secret = KeyOrNull(side.e);
  config.remote_static = KeyOrNull(side.rs);
  for (const Bytes& psk : side.psks) config.psks.emplace_back(psk);
  return HandshakeState::Create(config, &out->hs);
}

std::string Differs(const char* what, ByteView got, ByteView want) {
  return std::string(what) + " differs: got " + HexEncode(got) + ", want " + HexEncode(want);
}

std::string RunHandshakeMessage(Party& sender, Party& receiver, const Message& m) {
  if (!sender.hs->IsMyTurn()) return "the sender is not expected to send";
  Bytes wire;
  Status st = sender.hs->WriteMessage(m.payload, &wire);
  if (st != Status::Ok) return std::string("WriteMessage failed: ") + Describe(st);
  if (wire != m.ciphertext) return Differs("ciphertext", wire, m.ciphertext);
  Bytes payload;
  st = receiver.hs->ReadMessage(m.ciphertext, &payload);
  if (st != Status::Ok) return std::string("ReadMessage failed: ") + Describe(st);
  if (payload != m.payload) return Differs("payload", payload, m.payload);
  return {};
}

std::string RunTransportMessage(CipherState& send, CipherState& recv, const Message& m) {
  Bytes wire(m.payload.size() + kTagBytes);
  if (!send.EncryptWithAd({}, m.payload, wire.data())) return "encrypt failed";
  if (wire != m.ciphertext) return Differs("ciphertext", wire, m.ciphertext);
  Bytes plain(m.ciphertext.size() - kTagBytes + 1);  // +1: never a null buffer
  if (!recv.DecryptWithAd({}, m.ciphertext, plain.data())) return "decrypt failed";
  plain.pop_back();
  if (plain != m.payload) return Differs("payload", plain, m.payload);
  return {};
}

bool Same(ByteView a, ByteView b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

std::string FinishHandshakes(const Vector& v, Party& init, Party& resp) {
  if (!v.handshake_hash.empty()) {
    if (!Same(init.hs->HandshakeHash(), v.handshake_hash)) {
      return Differs("initiator handshake hash", init.hs->HandshakeHash(), v.handshake_hash);
    }
    if (!Same(resp.hs->HandshakeHash(), v.handshake_hash)) {
      return Differs("responder handshake hash", resp.hs->HandshakeHash(), v.handshake_hash);
    }
  }
  if (init.hs->Split(&init.c1, &init.c2) != Status::Ok ||
      resp.hs->Split(&resp.c1, &resp.c2) != Status::Ok) {
    return "Split failed";
  }
  return {};
}

// Messages alternate initiator, responder, ... (one-way: all from the
// initiator). After the handshake the split cipher states are used directly.
std::string RunMessages(const Vector& v, bool one_way, Party& init, Party& resp) {
  bool split = false;
  for (size_t i = 0; i < v.messages.size(); ++i) {
    const Message& m = v.messages[i];
    const bool from_init = one_way || i % 2 == 0;
    std::string err;
    if (!split) {
      err = from_init ? RunHandshakeMessage(init, resp, m) : RunHandshakeMessage(resp, init, m);
      if (err.empty() && init.hs->IsComplete() && resp.hs->IsComplete()) {
        err = FinishHandshakes(v, init, resp);
        split = true;
      }
    } else if (m.ciphertext.size() < kTagBytes) {
      err = "transport ciphertext is shorter than a tag";
    } else {
      err = from_init ? RunTransportMessage(init.c1, resp.c1, m)
                      : RunTransportMessage(resp.c2, init.c2, m);
    }
    if (!err.empty()) return "message " + std::to_string(i) + ": " + err;
  }
  if (!split && !v.handshake_hash.empty()) return "the messages end before the handshake does";
  return {};
}

// Returns "" on success, else what went wrong.
std::string RunVector(const Vector& v) {
  ProtocolSpec spec;
  if (ParseProtocolName(v.protocol, &spec) != Status::Ok) return "unparsable protocol name";
  Party init;
  Party resp;
  if (Status st = CreateParty(v, true, &init); st != Status::Ok) {
    return std::string("initiator setup failed: ") + Describe(st);
  }
  if (Status st = CreateParty(v, false, &resp); st != Status::Ok) {
    return std::string("responder setup failed: ") + Describe(st);
  }
  return RunMessages(v, spec.pattern.one_way, init, resp);
}

void RunEntry(size_t index, const json& entry, VectorReport* report) {
  const std::string protocol = entry.is_object() ? ProtocolNameOf(entry) : std::string();
  if (!protocol.empty() && !IsSupportedProtocol(protocol)) {
    ++report->skipped;
    return;
  }
  Vector v;
  v.protocol = protocol;
  std::string err;
  if (protocol.empty()) {
    err = "malformed vector: no protocol name";
  } else if (!ParseVector(entry, &v, &err)) {
    err = "malformed vector: " + err;
  } else {
    err = RunVector(v);
  }
  if (err.empty()) {
    ++report->passed;
    return;
  }
  ++report->failed;
  report->failures.push_back("vector " + std::to_string(index) + " (" +
                             (protocol.empty() ? "?" : protocol) + "): " + err);
}

}  // namespace

bool RunVectorsJson(std::string_view json_text, VectorReport* report, std::string* error) {
  const json doc = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (doc.is_discarded()) {
    *error = "not valid JSON";
    return false;
  }
  const json* list = &doc;
  if (doc.is_object()) {
    const auto it = doc.find("vectors");
    if (it == doc.end()) {
      *error = "no \"vectors\" array";
      return false;
    }
    list = &*it;
  }
  if (!list->is_array()) {
    *error = "the vector list is not an array";
    return false;
  }
  for (size_t i = 0; i < list->size(); ++i) RunEntry(i, (*list)[i], report);
  return true;
}

bool RunVectorFile(const std::string& path, VectorReport* report, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path;
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read " + path;
    return false;
  }
  if (!RunVectorsJson(text.str(), report, error)) {
    *error = path + ": " + *error;
    return false;
  }
  return true;
}

}  // namespace sp::crypto::noise
