'use strict';
// Client-events: send() resolves once Redis holds the event in sp:inbound.
const test = require('node:test');
const assert = require('node:assert');
const { SealpostClient } = require('..');
const { TestEnv, eventually } = require('./support/env');

let env;
test.before(async () => { env = await TestEnv.start(); });
test.after(async () => { await env.stop(); });

function inboundEntries() {
  const lines = env.redisCli('--no-raw', 'XRANGE', 'sp:inbound', '-', '+').split('\n');
  return lines.filter((l) => l.includes('"')).map((l) => JSON.parse(l.slice(l.indexOf('"'))));
}

test('a client-event reaches sp:inbound with the authenticated client id once send() resolves', async () => {
  const client = new SealpostClient({ ...env.provision('e1'), protocol: 'Noise_XX_25519_ChaChaPoly_BLAKE2b' });
  try {
    const id = await client.send('telemetry', '21.5C', { unit: 'celsius' });
    const fields = inboundEntries();
    const at = fields.lastIndexOf('client');
    assert.deepStrictEqual(fields.slice(at, at + 4), ['client', 'e1', 'id', id]);
    assert.deepStrictEqual(fields.slice(at + 6), ['type', 'telemetry', 'data', '21.5C', 'unit', 'celsius']);
  } finally {
    await client.close();
  }
});

test('events sent before the connection is up are delivered once it is', async () => {
  const client = new SealpostClient(env.provision('e2'));
  try {
    const sent = await Promise.all([client.send('a', '1'), client.send('b', '2'), client.send('c', '3')]);
    assert.strictEqual(new Set(sent).size, 3);
    const fields = inboundEntries();
    for (const id of sent) assert.strictEqual(fields.filter((f) => f === id).length, 1);
  } finally {
    await client.close();
  }
});

test('an event the server would refuse is rejected locally, and the session stays up', async () => {
  const client = new SealpostClient(env.provision('e3'));
  try {
    assert.throws(() => client.send('x', 'y', { client: 'someone-else' }), /reserved/);
    assert.throws(() => client.send('', 'y'), /type/);
    await client.send('ok', 'fine');
    assert.ok(client.connected);
  } finally {
    await client.close();
  }
});
