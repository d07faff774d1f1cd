'use strict';
// Trust on first use, like ssh's known_hosts: "<name> <base64 key>" lines,
// '#' comments. The same file the sealpost CLI keeps.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function defaultKnownServersPath() {
  return path.join(os.homedir() || '.', '.sealpost', 'known_servers');
}

function findEntry(file, name) {
  if (!fs.existsSync(file)) return null;
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const [entryName, key] = line.split(/\s+/);
    if (entryName === name) return { key, line: i + 1 };
  }
  return null;
}

// 'match', 'recorded' (first use: appended) or 'mismatch' with the line to remove.
function checkKnownServer(file, name, publicKey) {
  const presented = publicKey.toString('base64');
  const entry = findEntry(file, name);
  if (!entry) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.appendFileSync(file, `${name} ${presented}\n`, { mode: 0o600 });
    return { result: 'recorded', key: presented };
  }
  const recorded = Buffer.from(entry.key || '', 'base64');
  const same = recorded.length === publicKey.length && crypto.timingSafeEqual(recorded, publicKey);
  return { result: same ? 'match' : 'mismatch', key: presented, line: entry.line };
}

module.exports = { checkKnownServer, defaultKnownServersPath };
