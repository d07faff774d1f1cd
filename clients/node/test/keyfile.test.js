'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createKeyFile, readKeyFile } = require('..');
const { formatKeyFile, parseKeyFile } = require('../lib/keyfile');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-keyfile-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a key file round-trips, with comments, blank lines and spaces around values', () => {
  const file = path.join(dir, 'a.key');
  const pair = createKeyFile(file);
  const text = fs.readFileSync(file, 'utf8').replace('private: ', '\n  private:\t ');
  const parsed = parseKeyFile(text, 'a.key');
  assert.ok(parsed.privateKey.equals(pair.privateKey));
  assert.ok(parsed.publicKey.equals(pair.publicKey));
});

test('a key file readable by group or others is refused', () => {
  const file = path.join(dir, 'open.key');
  createKeyFile(file);
  fs.chmodSync(file, 0o644);
  assert.throws(() => readKeyFile(file), /readable by group or others/);
});

test('a public key that does not belong to the private key is refused', () => {
  const a = parseKeyFile(formatKeyFile(createKeyFile(path.join(dir, 'b.key'))), 'b');
  const b = parseKeyFile(formatKeyFile(createKeyFile(path.join(dir, 'c.key'))), 'c');
  const mixed = formatKeyFile({ privateKey: a.privateKey, publicKey: b.publicKey });
  assert.throws(() => parseKeyFile(mixed, 'mixed'), /does not belong/);
  assert.throws(() => parseKeyFile('private: abc\n', 'short'), /private/);
});
