'use strict';
// Noise cipher functions (§5.1, §12) and CipherState with the counter nonce.
const crypto = require('node:crypto');

const TAG_LEN = 16;
const MAX_NONCE = 0xffffffffffffffffn;

const CIPHERS = {
  // 4 zero bytes + 64-bit big-endian counter.
  AESGCM: {
    algorithm: 'aes-256-gcm',
    nonce(n) { const b = Buffer.alloc(12); b.writeBigUInt64BE(n, 4); return b; },
  },
  // 4 zero bytes + 64-bit little-endian counter.
  ChaChaPoly: {
    algorithm: 'chacha20-poly1305',
    nonce(n) { const b = Buffer.alloc(12); b.writeBigUInt64LE(n, 4); return b; },
  },
};

function makeCipher(name) {
  const spec = CIPHERS[name];
  if (!spec) throw new Error(`unsupported Noise cipher: ${name}`);
  const encrypt = (k, n, ad, plaintext) => {
    const c = crypto.createCipheriv(spec.algorithm, k, spec.nonce(n), { authTagLength: TAG_LEN });
    c.setAAD(ad, { plaintextLength: plaintext.length });
    return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
  };
  // Throws when the tag does not verify.
  const decrypt = (k, n, ad, ciphertext) => {
    if (ciphertext.length < TAG_LEN) throw new Error('ciphertext shorter than its tag');
    const body = ciphertext.subarray(0, ciphertext.length - TAG_LEN);
    const d = crypto.createDecipheriv(spec.algorithm, k, spec.nonce(n), { authTagLength: TAG_LEN });
    d.setAAD(ad, { plaintextLength: body.length });
    d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LEN));
    return Buffer.concat([d.update(body), d.final()]);
  };
  const rekey = (k) => encrypt(k, MAX_NONCE, Buffer.alloc(0), Buffer.alloc(32)).subarray(0, 32);
  return { name, encrypt, decrypt, rekey };
}

class CipherState {
  constructor(cipher, key = null) {
    this.cipher = cipher;
    this.k = key;
    this.n = 0n;
  }

  hasKey() { return this.k !== null; }

  encryptWithAd(ad, plaintext) {
    if (!this.hasKey()) return Buffer.from(plaintext);
    const out = this.cipher.encrypt(this.k, this.nextNonce(), ad, plaintext);
    return out;
  }

  decryptWithAd(ad, ciphertext) {
    if (!this.hasKey()) return Buffer.from(ciphertext);
    const n = this.n;
    const out = this.cipher.decrypt(this.k, n, ad, ciphertext);
    this.n = n + 1n;
    return out;
  }

  nextNonce() {
    if (this.n >= MAX_NONCE) throw new Error('nonce exhausted');
    const n = this.n;
    this.n = n + 1n;
    return n;
  }

  rekey() { this.k = this.cipher.rekey(this.k); }
}

module.exports = { CipherState, makeCipher, TAG_LEN };
