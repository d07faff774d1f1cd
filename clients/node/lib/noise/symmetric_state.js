'use strict';
// Noise SymmetricState (§5.2): chaining key, handshake hash and the cipher
// state that encrypts handshake payloads.
const { CipherState } = require('./cipher');

const KEY_LEN = 32;

class SymmetricState {
  constructor(protocolName, hash, cipher) {
    this.hashFn = hash;
    this.cipher = cipher;
    const name = Buffer.from(protocolName, 'ascii');
    this.h = name.length <= hash.hashLen
      ? Buffer.concat([name, Buffer.alloc(hash.hashLen - name.length)])
      : hash.hash(name);
    this.ck = this.h;
    this.cs = new CipherState(cipher);
  }

  mixKey(ikm) {
    const [ck, tempK] = this.hashFn.hkdf(this.ck, ikm, 2);
    this.ck = ck;
    this.cs = new CipherState(this.cipher, tempK.subarray(0, KEY_LEN));
  }

  mixHash(data) { this.h = this.hashFn.hash(this.h, data); }

  encryptAndHash(plaintext) {
    const ciphertext = this.cs.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext) {
    const plaintext = this.cs.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  // Two cipher states: initiator->responder first, responder->initiator second.
  split() {
    const [k1, k2] = this.hashFn.hkdf(this.ck, Buffer.alloc(0), 2);
    return [new CipherState(this.cipher, k1.subarray(0, KEY_LEN)),
      new CipherState(this.cipher, k2.subarray(0, KEY_LEN))];
  }
}

module.exports = { SymmetricState };
