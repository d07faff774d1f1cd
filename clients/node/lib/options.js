'use strict';
// Validates SealpostClient options once, up front, with one-line reasons.
const { keyPairFromPrivate } = require('./noise');
const { loadOrCreateKeyFile } = require('./keyfile');
const { defaultKnownServersPath } = require('./known_servers');
const { checkClientId, decodeBase64Strict } = require('./messages');

const PROTOCOLS = ['Noise_XX_25519_AESGCM_SHA256', 'Noise_XX_25519_ChaChaPoly_BLAKE2b'];

function parseServer(server) {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(String(server));
  if (!match) throw new TypeError(`server must be host:port, got ${JSON.stringify(server)}`);
  return { host: match[1] || match[2], port: Number(match[3]) };
}

function rawKey(value, what) {
  const raw = Buffer.isBuffer(value) ? value : decodeBase64Strict(value);
  if (!raw || raw.length !== 32) throw new TypeError(`${what} must be 32 bytes (standard base64 or a Buffer)`);
  return raw;
}

function loadKeyPair(o) {
  if (o.privateKey) return keyPairFromPrivate(rawKey(o.privateKey, 'privateKey'));
  if (o.keyFile) return loadOrCreateKeyFile(o.keyFile);
  throw new TypeError('give keyFile or privateKey');
}

function normalizeOptions(o = {}) {
  const server = o.server || '127.0.0.1:9300';
  checkClientId(o.id);
  const protocol = o.protocol || PROTOCOLS[0];
  if (!PROTOCOLS.includes(protocol)) throw new TypeError(`protocol must be one of ${PROTOCOLS.join(', ')}`);
  return {
    ...parseServer(server),
    server,
    serverName: o.serverName || server,
    serverPublicKey: o.serverPublicKey ? rawKey(o.serverPublicKey, 'serverPublicKey') : null,
    knownServersFile: o.knownServersFile || defaultKnownServersPath(),
    id: o.id,
    keyPair: loadKeyPair(o),
    protocol,
    autoAck: o.autoAck !== false,
    connectTimeoutMs: o.connectTimeoutMs || 10000,
    backoff: { initialMs: 250, maxMs: 30000, ...(o.backoff || {}) },
    dedupSize: o.dedupSize || 10000,
  };
}

module.exports = { PROTOCOLS, normalizeOptions };
