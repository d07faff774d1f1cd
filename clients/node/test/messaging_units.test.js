'use strict';
// Messaging (PROTOCOL.md §6) without a server: the messages built, local
// refusals, and how a client matches replies to its requests. The client's
// connection is replaced by a stub that records what would be sent.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const { SealpostClient } = require('..');
const messages = require('../lib/messages');

class StubbedClient extends SealpostClient {
  connect() {
    this.sent = this.sent || [];
    const conn = new EventEmitter();
    conn.active = true;
    conn.send = (m) => { this.sent.push(m); return true; };
    conn.close = () => conn.emit('close', null);
    conn.fail = conn.close;
    this.conn = conn;
  }

  // What the stub "server" received, by type.
  sentOf(type) { return this.sent.filter((m) => m.type === type); }

  // A server-event as the server would frame it.
  serve(eventId, event) {
    this.onMessage({ type: 'server-event', ts: Date.now(), eventId, attempt: 1, event });
  }
}

function stubbedClient(options = {}) {
  return new StubbedClient({ id: 'unit', privateKey: crypto.randomBytes(32), serverPublicKey: crypto.randomBytes(32), ...options });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('client-event with and without `to`; request with and without params', () => {
  assert.deepStrictEqual(Object.keys(messages.clientEvent('c-1', { type: 't' })), ['type', 'ts', 'id', 'event']);
  const dm = messages.clientEvent('c-2', { type: 'chat', data: 'hi' }, 'group:lobby');
  assert.strictEqual(dm.to, 'group:lobby');
  assert.deepStrictEqual(dm.event, { type: 'chat', data: 'hi' });
  const withParams = messages.request('c-3', 'echo', { x: 1 });
  assert.deepStrictEqual({ ...withParams, ts: 0 }, { type: 'request', ts: 0, id: 'c-3', method: 'echo', params: { x: 1 } });
  assert.ok(!('params' in messages.request('c-4', 'time')));
  assert.strictEqual(messages.request('c-5', 'echo', null).params, null);
});

test('targets, methods and params the server would refuse are refused locally', () => {
  for (const ok of ['102', 'a.b_c-9', 'group:lobby', `group:${'g'.repeat(64)}`]) messages.checkTarget(ok);
  for (const bad of ['', 'group:', 'a b', 'x/y', 'group:a:b', 'x'.repeat(65), 7, null]) {
    assert.throws(() => messages.checkTarget(bad), TypeError, JSON.stringify(bad));
  }
  messages.checkMethod('query.v2');
  for (const bad of ['', 'a b', 'm'.repeat(65), undefined]) assert.throws(() => messages.checkMethod(bad), TypeError);
  assert.throws(() => messages.checkParams(() => 1), TypeError);
  assert.throws(() => messages.checkParams(10n), TypeError);
  messages.checkParams(undefined);
  messages.checkParams([1, 'two', { three: null }]);
});

test('`from` and `to` are reserved field names; a bad `to` throws before anything is sent', async () => {
  const client = stubbedClient();
  await tick();
  try {
    assert.throws(() => client.send('chat', 'hi', { from: 'someone' }), /event\.from is reserved/);
    assert.throws(() => client.send('chat', 'hi', { to: '102' }), /event\.to is reserved/);
    assert.throws(() => client.send('chat', 'hi', {}, { to: 'no spaces' }), /to must be/);
    assert.throws(() => client.request('bad method'), /method/);
    assert.throws(() => client.request('echo', 1, { timeoutMs: 0 }), /timeoutMs/);
    assert.strictEqual(client.sent.length, 0);
  } finally {
    await client.close();
  }
});

test('send() with `to` puts it on the message; refusals reject that send only', async () => {
  const client = stubbedClient();
  await tick();
  client.onWelcome({ type: 'welcome', heartbeatMs: 60000 });
  try {
    const dm = client.send('chat', 'hi', { mood: 'good' }, { to: '102' });
    const group = client.send('chat', 'all', {}, { to: 'group:lobby' });
    const plain = client.send('telemetry', '1');
    const [m1, m2, m3] = client.sentOf('client-event');
    assert.deepStrictEqual([m1.to, m2.to, 'to' in m3], ['102', 'group:lobby', false]);
    assert.deepStrictEqual(m1.event, { type: 'chat', data: 'hi', mood: 'good' });
    client.onMessage({ type: 'error', ts: 1, code: 'unknown_target', message: 'no client 102', retry: false, id: m1.id });
    client.onMessage({ type: 'error', ts: 1, code: 'group_too_large', message: 'lobby', retry: false, id: m2.id });
    client.onMessage({ type: 'ack', ts: 1, id: m3.id });
    await assert.rejects(dm, (err) => err.code === 'unknown_target' && !err.retry);
    await assert.rejects(group, (err) => err.code === 'group_too_large');
    assert.strictEqual(await plain, m3.id);
  } finally {
    await client.close();
  }
});

test('partial and final replies resolve the request and skip the event listeners; a `from` is never a reply', async () => {
  const client = stubbedClient();
  await tick();
  client.onWelcome({ type: 'welcome', heartbeatMs: 60000 });
  const ordinary = [];
  client.on('event', (e) => { ordinary.push(e.fields); });
  const partials = [];
  try {
    const pending = client.request('query', 'SetA-Two', { onPartial: (p) => partials.push(p.data) });
    const [req] = client.sentOf('request');
    assert.deepStrictEqual([req.method, req.params], ['query', 'SetA-Two']);
    client.onMessage({ type: 'ack', ts: 1, id: req.id });
    client.serve('1-0', { type: 'reply', re: req.id, data: 'ts1', last: '0' });
    client.serve('1-0', { type: 'reply', re: req.id, data: 'ts1', last: '0' }); // redelivered
    client.serve('2-0', { type: 'reply', re: req.id, data: 'forged', from: 'mallory' });
    client.serve('3-0', { type: 'reply', re: req.id, data: 'ts2', last: '0' });
    client.serve('4-0', { type: 'reply', re: req.id, data: 'END' });
    const reply = await pending;
    assert.strictEqual(reply.requestId, req.id);
    assert.strictEqual(reply.data, 'END');
    assert.deepStrictEqual(reply.parts.map((p) => p.data), ['ts1', 'ts2', 'END']);
    assert.deepStrictEqual(partials, ['ts1', 'ts2']);
    // every reply event acked (the duplicate once more), the forged one by its listener
    await new Promise((resolve) => setTimeout(resolve, 20));
    const acks = client.sentOf('ack').map((a) => a.eventId);
    assert.deepStrictEqual(acks.filter((id) => id !== '2-0'), ['1-0', '1-0', '3-0', '4-0']);
    assert.ok(acks.includes('2-0'));
    assert.deepStrictEqual(ordinary, [{ type: 'reply', re: req.id, data: 'forged', from: 'mallory' }]);
  } finally {
    await client.close();
  }
});

test('a request times out cleanly; a late reply then goes to the event listeners', async () => {
  const client = stubbedClient();
  await tick();
  client.onWelcome({ type: 'welcome', heartbeatMs: 60000 });
  const ordinary = [];
  client.on('event', (e) => { ordinary.push(e.data); });
  try {
    const started = Date.now();
    const pending = client.request('nobody', { q: 1 }, { timeoutMs: 150 });
    const [req] = client.sentOf('request');
    client.serve('5-0', { type: 'reply', re: req.id, data: 'part', last: '0' });
    await assert.rejects(pending, (err) => err.code === 'request_timeout' && err.requestId === req.id
      && err.parts.length === 1 && /nobody/.test(err.message));
    assert.ok(Date.now() - started >= 140);
    // not acked: no longer kept nor resent
    assert.strictEqual(client.outbox.get(req.id), undefined);
    client.serve('6-0', { type: 'reply', re: req.id, data: 'late' });
    client.serve('7-0', { type: 'reply', re: 'unknown-id', data: 'stray' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepStrictEqual(ordinary, ['late', 'stray']);
  } finally {
    await client.close();
  }
});

test('an unacked request is resent with its id on a new session; a refusal or close rejects it', async () => {
  const client = stubbedClient();
  await tick();
  client.onWelcome({ type: 'welcome', heartbeatMs: 60000 });
  try {
    const refused = client.request('secret');
    const kept = client.request('echo', 'x');
    const [r1, r2] = client.sentOf('request');
    client.onMessage({ type: 'error', ts: 1, code: 'forbidden', message: 'method', retry: false, id: r1.id });
    await assert.rejects(refused, (err) => err.code === 'forbidden');
    client.onWelcome({ type: 'welcome', heartbeatMs: 60000 }); // a new session
    const resent = client.sentOf('request').slice(2);
    assert.deepStrictEqual(resent.map((m) => [m.id, m.method, m.params]), [[r2.id, 'echo', 'x']]);
    const closing = client.close();
    await assert.rejects(kept, (err) => err.code === 'closed');
    await closing;
  } finally {
    await client.close();
  }
});
