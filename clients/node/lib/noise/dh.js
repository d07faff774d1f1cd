'use strict';
// X25519 on node:crypto. node takes raw keys only wrapped in DER, so the
// fixed PKCS#8 / SPKI prefixes for X25519 (RFC 8410) are prepended here.
const crypto = require('node:crypto');

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const DHLEN = 32;

function checkLength(raw, what) {
  if (!Buffer.isBuffer(raw) || raw.length !== DHLEN) {
    throw new Error(`${what} must be ${DHLEN} bytes`);
  }
}

function privateKeyObject(raw) {
  checkLength(raw, 'X25519 private key');
  return crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(raw) {
  checkLength(raw, 'X25519 public key');
  return crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

// { privateKey, publicKey } as raw 32-byte Buffers.
function keyPairFromPrivate(rawPrivate) {
  const priv = privateKeyObject(rawPrivate);
  const spki = crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' });
  return { privateKey: Buffer.from(rawPrivate), publicKey: spki.subarray(SPKI_PREFIX.length) };
}

function generateKeyPair() {
  const { privateKey } = crypto.generateKeyPairSync('x25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return keyPairFromPrivate(Buffer.from(pkcs8.subarray(PKCS8_PREFIX.length)));
}

function dh(keyPair, rawPublic) {
  return crypto.diffieHellman({
    privateKey: privateKeyObject(keyPair.privateKey),
    publicKey: publicKeyObject(rawPublic),
  });
}

module.exports = { DHLEN, dh, generateKeyPair, keyPairFromPrivate };
