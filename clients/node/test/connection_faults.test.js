'use strict';
// What the client does when the connection misbehaves or the server leaves.
const test = require('node:test');
const assert = require('node:assert');
const { SealpostClient } = require('..');
const { TestEnv, eventually } = require('./support/env');
const { Proxy } = require('./support/proxy');

let env;
test.before(async () => {
  env = await TestEnv.start(['--heartbeat-interval-ms', '100', '--heartbeat-timeout-ms', '400',
    '--ack-timeout-ms', '300', '--goaway-reconnect-ms', '200', '--drain-timeout-ms', '1000']);
});
test.after(async () => { await env.stop(); });

const fastBackoff = { initialMs: 20, maxMs: 200 };

function record(client) {
  const log = { events: [], sessions: [], disconnects: [], goaways: 0 };
  client.on('event', (e) => { log.events.push(e.data); });
  client.on('connected', (w) => log.sessions.push(w.session));
  client.on('disconnected', (err) => log.disconnects.push(err && err.code));
  client.on('goaway', () => { log.goaways += 1; });
  return log;
}

// Flips one base64 letter of a transport frame: still base64, no longer authentic.
function tamperOnce(proxy) {
  return (chunk) => {
    if (!proxy.tamper) return chunk;
    const at = chunk.findIndex((b) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));
    if (at === -1) return chunk;
    proxy.tamper = false;
    const altered = Buffer.from(chunk);
    altered[at] ^= 0x20; // swap case
    return altered;
  };
}

test('a tampered frame from the server closes the connection; the event comes again on the next session', async () => {
  let proxy;
  proxy = await Proxy.start(env.port, (chunk) => tamperOnce(proxy)(chunk));
  const client = new SealpostClient({ ...env.provision('f1'), server: `127.0.0.1:${proxy.port}`, backoff: fastBackoff });
  const log = record(client);
  try {
    await eventually(() => client.connected, 10000, 'welcome');
    proxy.tamper = true;
    env.redisCli('XADD', 'sp:{f1}:events', '*', 'type', 't', 'data', 'intact');
    await eventually(() => log.events.length === 1, 10000, 'event after reconnect');
    assert.deepStrictEqual(log.events, ['intact']);
    assert.strictEqual(log.disconnects[0], 'decrypt_failed');
    assert.strictEqual(log.sessions.length, 2);
  } finally {
    await client.close();
    await proxy.close();
  }
});

test('the client answers the server\'s pings and keeps its session', async () => {
  const proxy = await Proxy.start(env.port);
  const client = new SealpostClient({ ...env.provision('f2'), server: `127.0.0.1:${proxy.port}` });
  const log = record(client);
  try {
    await eventually(() => client.connected, 10000, 'welcome');
    // 2 handshake frames, then pongs: 10 pongs span 1 s, well past the 400 ms timeout.
    await eventually(() => proxy.clientFrames >= 12, 10000, 'ten pongs');
    assert.ok(client.connected);
    assert.strictEqual(log.sessions.length, 1);
    assert.deepStrictEqual(log.disconnects, []);
  } finally {
    await client.close();
    await proxy.close();
  }
});

test('goaway: the client reconnects to the server that replaces the stopped one', async () => {
  const client = new SealpostClient({ ...env.provision('f3'), backoff: fastBackoff });
  const log = record(client);
  try {
    await eventually(() => client.connected, 10000, 'welcome');
    await env.stopServer(env.servers[env.servers.length - 1]);
    await eventually(() => log.goaways === 1, 5000, 'goaway');
    await env.startServer();
    await eventually(() => log.sessions.length === 2 && client.connected, 10000, 'second session');
    env.redisCli('XADD', 'sp:{f3}:events', '*', 'type', 't', 'data', 'after-restart');
    await eventually(() => log.events.length === 1, 10000, 'event on the new server');
    await client.send('status', 'back');
  } finally {
    await client.close();
  }
});
