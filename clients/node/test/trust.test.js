'use strict';
// The server's key: pinned, or trusted on first use; and key files shared with the CLI.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { SealpostClient, createKeyFile } = require('..');
const { TestEnv, bin, eventually } = require('./support/env');
const { Proxy } = require('./support/proxy');

let env;
test.before(async () => { env = await TestEnv.start(); });
test.after(async () => { await env.stop(); });

const OTHER_KEY = Buffer.alloc(32, 7).toString('base64');

function fatalError(client) {
  return new Promise((resolve) => client.once('error', resolve));
}

test('a wrong pinned key is refused before the client id is sent, for good', async () => {
  const proxy = await Proxy.start(env.port);
  const options = { ...env.provision('t1'), server: `127.0.0.1:${proxy.port}`, serverPublicKey: OTHER_KEY };
  const client = new SealpostClient(options);
  try {
    const err = await fatalError(client);
    assert.strictEqual(err.code, 'server_key_mismatch');
    assert.strictEqual(err.fatal, true);
    assert.strictEqual(proxy.clientFrames, 1, 'only handshake message 1 left the client');
    await eventually(() => proxy.clientClosed === 1, 5000, 'client closed the connection');
    await assert.rejects(client.send('x', 'y'), /closed/);
  } finally {
    await client.close();
    await proxy.close();
  }
});

test('without a pinned key the first key is recorded, then kept; a changed key is refused', async () => {
  const knownServersFile = path.join(env.dir, 'known_servers');
  const { serverPublicKey, ...options } = env.provision('t2');
  const first = new SealpostClient({ ...options, knownServersFile });
  const trusted = new Promise((resolve) => first.once('trusted', resolve));
  await eventually(() => first.connected, 10000, 'first connection');
  assert.strictEqual((await trusted).publicKey, serverPublicKey);
  await first.close();
  assert.strictEqual(fs.readFileSync(knownServersFile, 'utf8'), `${options.server} ${serverPublicKey}\n`);

  const second = new SealpostClient({ ...options, knownServersFile });
  await eventually(() => second.connected, 10000, 'second connection');
  await second.close();

  fs.writeFileSync(knownServersFile, `# servers\n${options.server} ${OTHER_KEY}\n`);
  const third = new SealpostClient({ ...options, knownServersFile });
  const err = await fatalError(third);
  assert.strictEqual(err.code, 'server_key_mismatch');
  assert.match(err.message, /line 2/);
  await third.close();
});

test('a key file this package creates is read by the sealpost CLI, and one the CLI made works here', async () => {
  const keyFile = path.join(env.dir, 'made-here.key');
  createKeyFile(keyFile);
  assert.strictEqual(fs.statSync(keyFile).mode & 0o777, 0o600);
  execFileSync(bin('sealpost'), ['provision', 't3', '--key-file', keyFile, '--redis', `redis://127.0.0.1:${env.redisPort}/0`],
    { stdio: 'ignore' });
  const client = new SealpostClient({ server: `127.0.0.1:${env.port}`, serverPublicKey: env.serverPublicKey, id: 't3', keyFile });
  try {
    await eventually(() => client.connected, 10000, 'welcome with a provisioned key file');
  } finally {
    await client.close();
  }
});
