'use strict';
// X25519 on node:crypto. Noise hashes and key files hold raw 32-byte keys,
// while node's DH takes KeyObjects, and turning a raw key into one costs more
// than the DH itself (~0.5 ms for a private key). So a key pair carries its
// KeyObject, made once when the pair is generated or loaded, and a remote
// public key is imported once, by publicKeyObject, when it is received.
const crypto = require('node:crypto');

// node takes a raw private key only wrapped in DER: the fixed PKCS#8 prefix
// for X25519 (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const DHLEN = 32;

function checkLength(raw, what) {
  if (!Buffer.isBuffer(raw) || raw.length !== DHLEN) {
    throw new Error(`${what} must be ${DHLEN} bytes`);
  }
}

// { privateKey, publicKey } as raw 32-byte Buffers, plus keyObject for dh().
function keyPairFromKeyObject(keyObject) {
  const jwk = keyObject.export({ format: 'jwk' });
  return { privateKey: Buffer.from(jwk.d, 'base64url'), publicKey: Buffer.from(jwk.x, 'base64url'), keyObject };
}

function keyPairFromPrivate(rawPrivate) {
  checkLength(rawPrivate, 'X25519 private key');
  const der = Buffer.concat([PKCS8_PREFIX, rawPrivate]);
  return keyPairFromKeyObject(crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

function generateKeyPair() {
  return keyPairFromKeyObject(crypto.generateKeyPairSync('x25519').privateKey);
}

// A JWK public key is ~7x cheaper to import than the same key in SPKI DER.
function publicKeyObject(rawPublic) {
  checkLength(rawPublic, 'X25519 public key');
  return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: rawPublic.toString('base64url') }, format: 'jwk' });
}

// keyPair from generateKeyPair / keyPairFromPrivate, remote from publicKeyObject.
function dh(keyPair, remote) {
  return crypto.diffieHellman({ privateKey: keyPair.keyObject, publicKey: remote });
}

module.exports = { DHLEN, dh, generateKeyPair, keyPairFromPrivate, publicKeyObject };
