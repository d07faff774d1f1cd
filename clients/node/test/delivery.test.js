'use strict';
// Server-events from Redis to the application: in order, exactly once, acked.
const test = require('node:test');
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const { SealpostClient } = require('..');
const { TestEnv, eventually } = require('./support/env');

let env;
test.before(async () => { env = await TestEnv.start(['--ack-timeout-ms', '300']); });
test.after(async () => { await env.stop(); });

function pushEvents(id, count, prefix) {
  const commands = Array.from({ length: count }, (_, i) => `XADD sp:{${id}}:events * type seq data ${prefix}${i}`);
  execFileSync('redis-cli', ['-p', String(env.redisPort)], { input: `${commands.join('\n')}\n` });
}

const pendingCount = (id) => Number(env.redisCli('XPENDING', `sp:{${id}}:events`, 'sealpost').split('\n')[0]);

test('1,000 events pushed with redis-cli arrive exactly once and in order, and are acked', async () => {
  const client = new SealpostClient(env.provision('d1'));
  const got = [];
  client.on('event', (event) => { got.push(event); });
  try {
    await eventually(() => client.connected, 10000, 'welcome');
    pushEvents('d1', 1000, 'n');
    await eventually(() => got.length >= 1000, 20000, '1000 events');
    assert.deepStrictEqual(got.map((e) => e.data), Array.from({ length: 1000 }, (_, i) => `n${i}`));
    assert.strictEqual(new Set(got.map((e) => e.eventId)).size, 1000);
    await eventually(() => pendingCount('d1') === 0, 10000, 'all acked');
    assert.strictEqual(got.length, 1000);
  } finally {
    await client.close();
  }
});

test('events pushed while the client is offline arrive after it connects', async () => {
  const options = env.provision('d2');
  const first = new SealpostClient(options);
  await eventually(() => first.connected, 10000, 'first session');
  await first.close();
  pushEvents('d2', 5, 'offline');
  const client = new SealpostClient(options);
  const got = [];
  client.on('event', (event) => { got.push(event.data); });
  try {
    await eventually(() => got.length >= 5, 10000, 'offline events');
    assert.deepStrictEqual(got, ['offline0', 'offline1', 'offline2', 'offline3', 'offline4']);
  } finally {
    await client.close();
  }
});

test('an event is acked only after its handler resolves; a failed handler sees it again', async () => {
  const client = new SealpostClient(env.provision('d3'));
  const attempts = [];
  const failures = [];
  client.on('error', (err) => failures.push(err.eventId));
  client.on('event', async (event) => {
    attempts.push(event.attempt);
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (event.attempt === 1) throw new Error('not yet');
  });
  try {
    await eventually(() => client.connected, 10000, 'welcome');
    pushEvents('d3', 1, 'x');
    await eventually(() => attempts.length >= 2, 10000, 'redelivery');
    assert.deepStrictEqual(attempts.slice(0, 2), [1, 2]);
    assert.strictEqual(failures.length, 1);
    await eventually(() => pendingCount('d3') === 0, 10000, 'acked after success');
  } finally {
    await client.close();
  }
});
