'use strict';
// Noise hash functions (spec §4.3, §5.1): HASH, HMAC and HKDF. HMAC is written
// out here (RFC 2104) rather than taken from createHmac because the block size
// must be the spec's (128 bytes for BLAKE2b/SHA512) and not every OpenSSL build
// offers an HMAC over BLAKE2.
const crypto = require('node:crypto');

const HASHES = {
  SHA256: { algorithm: 'sha256', hashLen: 32, blockLen: 64 },
  SHA512: { algorithm: 'sha512', hashLen: 64, blockLen: 128 },
  BLAKE2b: { algorithm: 'blake2b512', hashLen: 64, blockLen: 128 },
  BLAKE2s: { algorithm: 'blake2s256', hashLen: 32, blockLen: 64 },
};

function makeHash(name) {
  const spec = HASHES[name];
  if (!spec) throw new Error(`unsupported Noise hash: ${name}`);
  const hash = (...parts) => {
    const h = crypto.createHash(spec.algorithm);
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const hmac = (key, ...data) => {
    let k = key.length > spec.blockLen ? hash(key) : key;
    k = Buffer.concat([k, Buffer.alloc(spec.blockLen - k.length)]);
    const ipad = Buffer.from(k.map((b) => b ^ 0x36));
    const opad = Buffer.from(k.map((b) => b ^ 0x5c));
    return hash(opad, hash(ipad, ...data));
  };
  // HKDF(chaining_key, input_key_material, num_outputs) of Noise §4.3.
  const hkdf = (chainingKey, ikm, numOutputs) => {
    const tempKey = hmac(chainingKey, ikm);
    const out1 = hmac(tempKey, Buffer.from([1]));
    const out2 = hmac(tempKey, out1, Buffer.from([2]));
    if (numOutputs === 2) return [out1, out2];
    return [out1, out2, hmac(tempKey, out2, Buffer.from([3]))];
  };
  return { name, hashLen: spec.hashLen, hash, hmac, hkdf };
}

module.exports = { makeHash };
