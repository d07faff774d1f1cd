'use strict';
// The key-file format shared with the sealpost CLI (PROTOCOL.md §2 "Key files").
const fs = require('node:fs');
const path = require('node:path');
const { generateKeyPair, keyPairFromPrivate } = require('./noise');
const { decodeBase64Strict } = require('./messages');

function parseKeyFile(text, where) {
  const values = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon === -1) throw new Error(`${where}: a line is neither 'private:' nor 'public:'`);
    values[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const privateKey = decodeBase64Strict(values.private);
  const publicKey = decodeBase64Strict(values.public);
  if (!privateKey || privateKey.length !== 32) throw new Error(`${where}: missing or malformed 'private:' line`);
  if (!publicKey || publicKey.length !== 32) throw new Error(`${where}: missing or malformed 'public:' line`);
  const pair = keyPairFromPrivate(privateKey);
  if (!pair.publicKey.equals(publicKey)) throw new Error(`${where}: the public key does not belong to the private key`);
  return pair;
}

function formatKeyFile(pair) {
  return '# sealpost static key (X25519). Keep it secret.\n'
    + `private: ${pair.privateKey.toString('base64')}\n`
    + `public: ${pair.publicKey.toString('base64')}\n`;
}

// Reads the key pair in `file`; a file readable by group or others is refused.
function readKeyFile(file) {
  const mode = fs.statSync(file).mode;
  if ((mode & 0o044) !== 0) throw new Error(`${file}: readable by group or others; chmod 600 it`);
  return parseKeyFile(fs.readFileSync(file, 'utf8'), file);
}

// Writes a fresh key pair to `file` (mode 0600); fails if it exists.
function createKeyFile(file) {
  const pair = generateKeyPair();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, formatKeyFile(pair), { mode: 0o600, flag: 'wx' });
  return pair;
}

function loadOrCreateKeyFile(file) {
  return fs.existsSync(file) ? readKeyFile(file) : createKeyFile(file);
}

module.exports = { createKeyFile, formatKeyFile, loadOrCreateKeyFile, parseKeyFile, readKeyFile };
