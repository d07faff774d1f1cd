'use strict';
// Messaging between clients (PROTOCOL.md §6) against the real server:
// direct messages, groups, request/reply with the server's own methods and
// with a worker played by this test through redis-cli.
const test = require('node:test');
const assert = require('node:assert');
const { SealpostClient } = require('..');
const { TestEnv, eventually } = require('./support/env');

let env;
const clients = [];
test.before(async () => { env = await TestEnv.start(); });
test.afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.close())); });
test.after(async () => { await env.stop(); });

// A provisioned, connected client that records what reaches its 'event'
// listeners; `record` adds fields to its sp:{ID}:client (policies).
async function connected(id, record = {}) {
  const options = env.provision(id);
  for (const [name, value] of Object.entries(record)) env.redisCli('HSET', `sp:{${id}}:client`, name, value);
  const client = new SealpostClient(options);
  clients.push(client);
  client.received = [];
  client.on('event', (event) => { client.received.push(event.fields); });
  await eventually(() => client.connected, 10000, `${id} connected`);
  return client;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const streamLength = (id) => Number(env.redisCli('XLEN', `sp:{${id}}:events`).trim());

// The first entry of a stream as [entryId, {field: value}], or null (redis-cli
// without a tty prints one value a line).
function firstEntry(key) {
  const lines = env.redisCli('XRANGE', key, '-', '+', 'COUNT', '1').split('\n');
  if (lines.length < 3) return null;
  const fields = {};
  for (let i = 1; i + 1 < lines.length; i += 2) fields[lines[i]] = lines[i + 1];
  return [lines[0], fields];
}

test('a direct message reaches the target with `from` = the sender, once the sender is acked', async () => {
  const alice = await connected('dm-a');
  const bob = await connected('dm-b');
  await alice.send('chat', 'hi', { mood: 'good' }, { to: 'dm-b' });
  await eventually(() => bob.received.length >= 1, 10000, 'the message at dm-b');
  assert.deepStrictEqual(bob.received, [{ type: 'chat', data: 'hi', mood: 'good', from: 'dm-a' }]);
  await sleep(200);
  assert.deepStrictEqual(alice.received, []);
  assert.strictEqual(env.redisCli('XLEN', 'sp:inbound').trim(), '0'); // not a client-event for workers
  await eventually(() => streamLength('dm-b') === 0, 10000, 'dm-b acked it');
});

test('a direct message to an offline client is queued and delivered when it connects', async () => {
  const alice = await connected('dm-c');
  const options = env.provision('dm-d');
  await alice.send('chat', 'while you were out', {}, { to: 'dm-d' });
  assert.strictEqual(streamLength('dm-d'), 1);
  const dave = new SealpostClient(options);
  clients.push(dave);
  const got = [];
  dave.on('event', (event) => { got.push(event.fields); });
  await eventually(() => got.length >= 1, 10000, 'the queued message');
  assert.deepStrictEqual(got, [{ type: 'chat', data: 'while you were out', from: 'dm-c' }]);
});

test('a direct message to an unknown client is refused with unknown_target; the session stays up', async () => {
  const alice = await connected('dm-e');
  await assert.rejects(alice.send('chat', 'hello?', {}, { to: 'nobody-here' }),
    (err) => err.code === 'unknown_target' && err.retry === false);
  assert.ok(alice.connected);
  await alice.send('still', 'working'); // the same session goes on
  assert.strictEqual(streamLength('nobody-here'), 0);
});

test('a group message reaches every other member with `from` and `to`, not the sender', async () => {
  const [a, b, c] = await Promise.all(['grp-a', 'grp-b', 'grp-c'].map(connected));
  env.redisCli('SADD', 'sp:group:g1', 'grp-a', 'grp-b', 'grp-c');
  for (const id of ['grp-a', 'grp-b', 'grp-c']) env.redisCli('SADD', `sp:{${id}}:groups`, 'g1');
  await a.send('chat', 'hello all', {}, { to: 'group:g1' });
  await eventually(() => b.received.length >= 1 && c.received.length >= 1, 10000, 'the group message');
  const expected = [{ type: 'chat', data: 'hello all', from: 'grp-a', to: 'group:g1' }];
  assert.deepStrictEqual(b.received, expected);
  assert.deepStrictEqual(c.received, expected);
  await sleep(300);
  assert.deepStrictEqual(a.received, []);
  assert.strictEqual(streamLength('grp-a'), 0);
});

test('refusals: a group without members, a group the sender is not in, a policy saying no', async () => {
  env.redisCli('SADD', 'sp:group:g2', 'grp-x', 'grp-y');
  env.redisCli('SADD', 'sp:{grp-x}:groups', 'g2');
  env.redisCli('SADD', 'sp:{grp-y}:groups', 'g2');
  env.provision('grp-x');
  env.provision('grp-y');
  const anyGroup = await connected('grp-w', { groups: 'any' }); // may send to groups it is not in
  await assert.rejects(anyGroup.send('chat', 'x', {}, { to: 'group:empty-group' }),
    (err) => err.code === 'unknown_target' && err.retry === false);
  const outsider = await connected('grp-z'); // default policy: member
  await assert.rejects(outsider.send('chat', 'x', {}, { to: 'group:g2' }), (err) => err.code === 'forbidden');
  const mute = await connected('grp-m', { direct: 'none' });
  await assert.rejects(mute.send('chat', 'x', {}, { to: 'grp-x' }), (err) => err.code === 'forbidden');
  assert.ok(anyGroup.connected && outsider.connected && mute.connected);
  assert.strictEqual(streamLength('grp-x') + streamLength('grp-y'), 0);
  await anyGroup.send('chat', 'allowed', {}, { to: 'group:g2' }); // groups: any
  assert.strictEqual(streamLength('grp-x') + streamLength('grp-y'), 2);
});

test("request('echo') answers with params as JSON text and serverTs; the reply skips the event listeners", async () => {
  const client = await connected('rq-echo');
  const before = Date.now();
  const reply = await client.request('echo', { x: 1 }, { timeoutMs: 10000 });
  assert.strictEqual(reply.type, 'reply');
  assert.deepStrictEqual(JSON.parse(reply.data), { x: 1 });
  assert.strictEqual(reply.fields.re, reply.requestId);
  assert.ok(!('from' in reply.fields));
  const serverTs = Number(reply.fields.serverTs);
  assert.ok(Number.isInteger(serverTs) && Math.abs(serverTs - before) < 60000, `serverTs ${reply.fields.serverTs}`);
  assert.deepStrictEqual(reply.parts.map((p) => p.eventId), [reply.eventId]);
  await eventually(() => streamLength('rq-echo') === 0, 10000, 'the reply acked');
  assert.deepStrictEqual(client.received, []);
});

test("request('time') answers with the server's time in ms and as ISO 8601", async () => {
  const client = await connected('rq-time');
  const before = Date.now();
  const reply = await client.request('time', undefined, { timeoutMs: 10000 });
  const ms = Number(reply.data);
  assert.ok(Number.isInteger(ms) && ms >= before - 60000 && ms <= Date.now() + 60000, `data ${reply.data}`);
  assert.strictEqual(Date.parse(reply.fields.iso), ms);
});

test("request('who') lists a group's members and whether each is online", async () => {
  env.redisCli('SADD', 'sp:group:g3', 'who-a', 'who-b');
  for (const id of ['who-a', 'who-b']) env.redisCli('SADD', `sp:{${id}}:groups`, 'g3');
  env.provision('who-b'); // provisioned, never connected
  const a = await connected('who-a');
  const reply = await a.request('who', { group: 'g3' }, { timeoutMs: 10000 });
  const members = JSON.parse(reply.data).sort((x, y) => x.id.localeCompare(y.id));
  assert.deepStrictEqual(members, [{ id: 'who-a', online: true }, { id: 'who-b', online: false }]);
});

test('a request nobody answers is stored for workers, then times out; a late reply is an ordinary event', async () => {
  const client = await connected('rq-none');
  const started = Date.now();
  const pending = client.request('nobody-serves', { q: 'anyone?' }, { timeoutMs: 1500 });
  let requestId;
  await assert.rejects(pending, (err) => { requestId = err.requestId; return err.code === 'request_timeout'; });
  assert.ok(Date.now() - started >= 1400);
  const [, stored] = firstEntry('sp:requests:nobody-serves');
  assert.deepStrictEqual([stored.client, stored.id, stored.method], ['rq-none', requestId, 'nobody-serves']);
  assert.deepStrictEqual(JSON.parse(stored.params), { q: 'anyone?' });
  env.redisCli('XADD', 'sp:{rq-none}:events', '*', 'type', 'reply', 're', requestId, 'data', 'too late');
  await eventually(() => client.received.length >= 1, 10000, 'the late reply');
  assert.deepStrictEqual(client.received, [{ type: 'reply', re: requestId, data: 'too late' }]);
});

test("a worker's partial replies and final reply are matched; a `from` reply is a direct message", async () => {
  const client = await connected('rq-work');
  const partials = [];
  const pending = client.request('query', 'SetA-Two', { timeoutMs: 10000, onPartial: (p) => partials.push(p.data) });
  // the worker: read the request from sp:requests:query, answer in the client's stream
  const [, request] = await eventually(() => firstEntry('sp:requests:query'), 10000, 'the stored request');
  assert.deepStrictEqual([request.client, request.method, JSON.parse(request.params)], ['rq-work', 'query', 'SetA-Two']);
  const stream = 'sp:{rq-work}:events';
  env.redisCli('XADD', stream, '*', 'type', 'reply', 're', request.id, 'data', 'ts1', 'last', '0');
  env.redisCli('XADD', stream, '*', 'type', 'reply', 're', request.id, 'data', 'not-a-reply', 'from', 'mallory');
  env.redisCli('XADD', stream, '*', 'type', 'reply', 're', request.id, 'data', 'ts2', 'last', '0');
  env.redisCli('XADD', stream, '*', 'type', 'reply', 're', request.id, 'data', 'END');
  const reply = await pending;
  assert.strictEqual(reply.requestId, request.id);
  assert.strictEqual(reply.data, 'END');
  assert.deepStrictEqual(reply.parts.map((p) => p.data), ['ts1', 'ts2', 'END']);
  assert.deepStrictEqual(partials, ['ts1', 'ts2']);
  await eventually(() => client.received.length >= 1, 10000, 'the direct message');
  assert.deepStrictEqual(client.received.map((f) => f.data), ['not-a-reply']);
  await eventually(() => streamLength('rq-work') === 0, 10000, 'all four acked');
});

test('group_too_large is refused; target_full is retried until the target has room', async () => {
  const small = await TestEnv.start(['--max-group-members', '2', '--max-queued-events', '1']);
  const local = [];
  try {
    const open = (id) => {
      const client = new SealpostClient(small.provision(id));
      local.push(client);
      client.received = [];
      client.on('event', (event) => { client.received.push(event.data); });
      return client;
    };
    small.redisCli('SADD', 'sp:group:big', 'lim-a', 'lim-b', 'lim-c');
    for (const id of ['lim-a', 'lim-b', 'lim-c']) small.redisCli('SADD', `sp:{${id}}:groups`, 'big');
    const a = open('lim-a');
    await assert.rejects(a.send('chat', 'x', {}, { to: 'group:big' }),
      (err) => err.code === 'group_too_large' && err.retry === false);
    const dOptions = small.provision('lim-d'); // offline: its stream fills up
    await a.send('chat', 'first', {}, { to: 'lim-d' });
    let secondStored = false;
    const second = a.send('chat', 'second', {}, { to: 'lim-d' }).then(() => { secondStored = true; });
    await sleep(1500); // refused target_full (retry: true) and sent again at least once
    assert.strictEqual(secondStored, false);
    assert.strictEqual(Number(small.redisCli('XLEN', 'sp:{lim-d}:events').trim()), 1);
    const d = new SealpostClient(dOptions);
    local.push(d);
    const got = [];
    d.on('event', (event) => { got.push(event.data); });
    await second; // d acked the first: room again
    await eventually(() => got.length >= 2, 10000, 'both messages at lim-d');
    assert.deepStrictEqual(got, ['first', 'second']);
  } finally {
    await Promise.all(local.map((c) => c.close()));
    await small.stop();
  }
});
