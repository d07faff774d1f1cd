'use strict';
// Noise HandshakeState (§5.3) for the patterns in patterns.js.
const { DHLEN, dh, generateKeyPair, publicKeyObject } = require('./dh');
const { makeCipher, TAG_LEN } = require('./cipher');
const { makeHash } = require('./hash');
const { PATTERNS, parseProtocolName } = require('./patterns');
const { SymmetricState } = require('./symmetric_state');

class HandshakeState {
  // options: { protocolName, initiator, prologue, s, e, rs }; s/e are key
  // pairs from dh.js, rs a raw public key. `e` is only given by tests (fixed
  // ephemerals of the test vectors). rs and re stay raw (they are hashed and
  // checked); remoteKeys holds their KeyObjects, imported once for the DHs.
  constructor({ protocolName, initiator, prologue = Buffer.alloc(0), s = null, e = null, rs = null }) {
    const names = parseProtocolName(protocolName);
    this.pattern = PATTERNS[names.pattern];
    this.ss = new SymmetricState(protocolName, makeHash(names.hash), makeCipher(names.cipher));
    this.initiator = initiator;
    this.s = s;
    this.e = e;
    this.rs = rs;
    this.re = null;
    this.remoteKeys = { s: rs && publicKeyObject(rs), e: null };
    this.messageIndex = 0;
    this.ss.mixHash(Buffer.from(prologue));
    this.mixPreMessages();
  }

  mixPreMessages() {
    const keyFor = (ofInitiator) => (ofInitiator === this.initiator ? this.s.publicKey : this.rs);
    for (const token of this.pattern.preInitiator) if (token === 's') this.ss.mixHash(keyFor(true));
    for (const token of this.pattern.preResponder) if (token === 's') this.ss.mixHash(keyFor(false));
  }

  isMyTurn() { return (this.messageIndex % 2 === 0) === this.initiator; }

  isComplete() { return this.messageIndex >= this.pattern.messages.length; }

  handshakeHash() { return this.ss.h; }

  writeMessage(payload = Buffer.alloc(0)) {
    if (this.isComplete() || !this.isMyTurn()) throw new Error('not this side\'s turn to write');
    const out = [];
    for (const token of this.pattern.messages[this.messageIndex]) {
      if (token === 'e') {
        if (!this.e) this.e = generateKeyPair();
        out.push(this.e.publicKey);
        this.ss.mixHash(this.e.publicKey);
      } else if (token === 's') {
        out.push(this.ss.encryptAndHash(this.s.publicKey));
      } else {
        this.mixDh(token);
      }
    }
    out.push(this.ss.encryptAndHash(Buffer.from(payload)));
    this.messageIndex += 1;
    return Buffer.concat(out);
  }

  // Returns the payload; throws when the message is malformed or does not verify.
  readMessage(message) {
    if (this.isComplete() || this.isMyTurn()) throw new Error('not this side\'s turn to read');
    let rest = Buffer.from(message);
    const take = (len) => {
      if (rest.length < len) throw new Error('handshake message too short');
      const part = rest.subarray(0, len);
      rest = rest.subarray(len);
      return part;
    };
    for (const token of this.pattern.messages[this.messageIndex]) {
      if (token === 'e') {
        this.re = Buffer.from(take(DHLEN));
        this.remoteKeys.e = publicKeyObject(this.re);
        this.ss.mixHash(this.re);
      } else if (token === 's') {
        this.rs = Buffer.from(this.ss.decryptAndHash(take(this.ss.cs.hasKey() ? DHLEN + TAG_LEN : DHLEN)));
        this.remoteKeys.s = publicKeyObject(this.rs);
      } else {
        this.mixDh(token);
      }
    }
    const payload = this.ss.decryptAndHash(rest);
    this.messageIndex += 1;
    return payload;
  }

  // ee, es, se, ss: the first letter names the initiator's key, the second the responder's.
  mixDh(token) {
    const [first, second] = token;
    const mine = this.initiator ? first : second;
    const theirs = this.initiator ? second : first;
    const local = mine === 'e' ? this.e : this.s;
    this.ss.mixKey(dh(local, this.remoteKeys[theirs]));
  }

  // [initiator->responder, responder->initiator] cipher states.
  split() {
    if (!this.isComplete()) throw new Error('handshake not complete');
    return this.ss.split();
  }
}

module.exports = { HandshakeState };
