'use strict';
// Validates SealpostClient options once, up front, with one-line reasons.
const { keyPairFromPrivate } = require('./noise');
const { loadOrCreateKeyFile } = require('./keyfile');
const { defaultKnownServersPath } = require('./known_servers');
const { checkClientId, decodeBase64Strict } = require('./messages');

const PROTOCOLS = ['Noise_XX_25519_AESGCM_SHA256', 'Noise_XX_25519_ChaChaPoly_BLAKE2b'];

function parseServer(server) {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(String(server));
  const port = match ? Number(match[3]) : 0;
  if (!match) throw new TypeError(`server must be host:port or [v6]:port, got ${JSON.stringify(server)}`);
  if (port < 1 || port > 65535) throw new TypeError(`bad port in ${JSON.stringify(server)}`);
  return { host: match[1] || match[2], port };
}

// `servers` (an array, or a string like `server`) wins over `server`; a
// string is split at commas: "a:9300,b:9300". Nodes of one deployment share
// Redis and the server key, so the client may use any of them.
function serverEntries(o) {
  const given = o.servers !== undefined ? o.servers : (o.server || '127.0.0.1:9300');
  let entries;
  if (Array.isArray(given)) {
    entries = given.map((entry) => {
      if (typeof entry !== 'string') throw new TypeError('servers must be strings "host:port"');
      if (entry.includes(',')) throw new TypeError(`server list entry ${JSON.stringify(entry.trim())} contains a comma`);
      return entry.trim();
    });
  } else if (typeof given === 'string') {
    if (given.replace(/[\s,]/g, '') === '') throw new TypeError('no server given');
    entries = given.split(',').map((entry) => entry.trim());
    if (entries.includes('')) throw new TypeError(`empty entry in the server list ${JSON.stringify(given)}`);
  } else {
    throw new TypeError('servers must be an array of "host:port" strings or a comma-separated string');
  }
  if (entries.length === 0) throw new TypeError('no server given');
  if (entries.includes('')) throw new TypeError('empty entry in the server list');
  entries.forEach((entry, i) => {
    if (entries.indexOf(entry) !== i) throw new TypeError(`server ${JSON.stringify(entry)} is listed twice`);
  });
  return entries;
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
  // Each entry keyed in the known-servers file by itself, or all by serverName.
  const servers = serverEntries(o).map((server) => ({ ...parseServer(server), server, serverName: o.serverName || server }));
  const firstServer = o.firstServer === undefined ? -1 : o.firstServer;
  if (!Number.isInteger(firstServer) || firstServer < -1) throw new TypeError('firstServer must be an index, or -1 for a random one');
  checkClientId(o.id);
  const protocol = o.protocol || PROTOCOLS[0];
  if (!PROTOCOLS.includes(protocol)) throw new TypeError(`protocol must be one of ${PROTOCOLS.join(', ')}`);
  return {
    servers,
    firstServer,
    serverPublicKey: o.serverPublicKey ? rawKey(o.serverPublicKey, 'serverPublicKey') : null,
    knownServersFile: o.knownServersFile || defaultKnownServersPath(),
    id: o.id,
    keyPair: loadKeyPair(o),
    protocol,
    autoAck: o.autoAck !== false,
    connectTimeoutMs: o.connectTimeoutMs || 10000,
    backoff: { initialMs: 250, maxMs: 30000, ...(o.backoff || {}) },
    healthySessionMs: o.healthySessionMs === undefined ? 1000 : o.healthySessionMs,
    dedupSize: o.dedupSize || 10000,
  };
}

module.exports = { PROTOCOLS, normalizeOptions, serverEntries, parseServer };
