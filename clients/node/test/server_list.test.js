'use strict';
// A client given several servers (nodes of one deployment: one Redis, one
// key) moves on to the next whenever an attempt or a session ends.
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const net = require('node:net');
const { SealpostClient } = require('..');
const { TestEnv, eventually, freePort } = require('./support/env');

const fastBackoff = { initialMs: 20, maxMs: 100 };
const privateKey = crypto.randomBytes(32);

function record(client) {
  const log = { events: [], servers: [], disconnects: [], goaways: 0 };
  client.on('event', (e) => { log.events.push(e.data); });
  client.on('connected', (w) => log.servers.push(w.server));
  client.on('disconnected', (err) => log.disconnects.push(err && err.code));
  client.on('goaway', () => { log.goaways += 1; });
  return log;
}

// TCP listeners that close every connection at once, noting which one it reached.
async function closingListeners(count, seen) {
  const listeners = [];
  for (let i = 0; i < count; i += 1) {
    const server = net.createServer((socket) => { seen.push(i); socket.destroy(); });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    listeners.push(server);
  }
  return listeners;
}

test('server lists: a comma string or an array; mistakes throw with the entry named', async () => {
  const make = (o) => new SealpostClient({ id: 'x', privateKey, serverPublicKey: privateKey, ...o });
  const servers = async (o) => {
    const client = make(o);
    await client.close(); // before it connects: closed in the same tick
    return client.options.servers.map((s) => `${s.host}|${s.port}|${s.serverName}`);
  };
  assert.deepStrictEqual(await servers({ server: 'a:1' }), ['a|1|a:1']);
  assert.deepStrictEqual(await servers({ server: 'a:1, [::1]:9300' }), ['a|1|a:1', '::1|9300|[::1]:9300']);
  assert.deepStrictEqual(await servers({ server: 'ignored:1', servers: ['x:1', 'y:2'], serverName: 'prod' }),
    ['x|1|prod', 'y|2|prod']);
  assert.deepStrictEqual(await servers({ servers: 'x:1,y:2' }), ['x|1|x:1', 'y|2|y:2']);
  const refused = (o, message) => assert.throws(() => make(o), { name: 'TypeError', message });
  refused({ server: 'a:1,,b:2' }, 'empty entry in the server list "a:1,,b:2"');
  refused({ server: ' , ' }, 'no server given');
  refused({ servers: [] }, 'no server given');
  refused({ server: 'a:1,b' }, 'server must be host:port or [v6]:port, got "b"');
  refused({ server: '[::1:9300' }, 'server must be host:port or [v6]:port, got "[::1:9300"');
  refused({ server: 'a:70000' }, 'bad port in "a:70000"');
  refused({ servers: ['a:1', 'a:1'] }, 'server "a:1" is listed twice');
  refused({ servers: ['a:1,b:2'] }, 'server list entry "a:1,b:2" contains a comma');
  refused({ servers: ['a:1'], firstServer: 1.5 }, 'firstServer must be an index, or -1 for a random one');
});

test('attempts go round robin from firstServer; random first servers spread clients out', async () => {
  const seen = [];
  const listeners = await closingListeners(3, seen);
  const servers = listeners.map((l) => `127.0.0.1:${l.address().port}`);
  const client = new SealpostClient({ id: 'rr', privateKey, serverPublicKey: privateKey, servers, firstServer: 1, backoff: fastBackoff });
  try {
    await eventually(() => seen.length >= 7, 10000, 'seven attempts');
    assert.deepStrictEqual(seen.slice(0, 7), [1, 2, 0, 1, 2, 0, 1]);
  } finally {
    await client.close();
    for (const l of listeners) l.close();
  }
  const first = [0, 0];
  for (let i = 0; i < 200; i += 1) {
    const c = new SealpostClient({ id: 'spread', privateKey, serverPublicKey: privateKey, servers: servers.slice(0, 2) });
    first[c.serverIndex] += 1;
    await c.close();
  }
  // Binomial(200, 1/2): outside [60, 140] with probability below 1e-8.
  assert.ok(first[0] > 60 && first[1] > 60, `first servers ${first}`);
});

let env;
let portB;
test.before(async () => {
  env = await TestEnv.start(['--goaway-reconnect-ms', '200', '--drain-timeout-ms', '1000']);
  portB = await freePort();
  await env.startServer(portB);
});
test.after(async () => { await env.stop(); });

test('of a dead server and a live one, the client gets its session on the live one', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const live = `127.0.0.1:${env.port}`;
  const client = new SealpostClient({ ...env.provision('sl1'), servers: [dead, live], firstServer: 0, backoff: fastBackoff });
  const log = record(client);
  try {
    await eventually(() => client.connected, 10000, 'welcome');
    assert.deepStrictEqual(log.servers, [live]);
    assert.deepStrictEqual(log.disconnects, ['ECONNREFUSED']);
    env.redisCli('XADD', 'sp:{sl1}:events', '*', 'type', 't', 'data', 'via-live');
    await eventually(() => log.events.length === 1, 10000, 'event');
  } finally {
    await client.close();
  }
});

test('goaway from one node moves the client to the other, events keep coming', async () => {
  const a = `127.0.0.1:${env.port}`;
  const b = `127.0.0.1:${portB}`;
  // Backoff far above the goaway's delay: the move must come from the goaway.
  const client = new SealpostClient({ ...env.provision('sl2'), server: `${a},${b}`, firstServer: 0, backoff: { initialMs: 20000, maxMs: 30000 } });
  const log = record(client);
  try {
    await eventually(() => client.connected, 10000, 'welcome');
    env.redisCli('XADD', 'sp:{sl2}:events', '*', 'type', 't', 'data', 'on-a');
    await eventually(() => log.events.length === 1, 10000, 'event on a');
    await env.stopServer(env.servers[0]); // SIGTERM: goaway, drain, exit
    await eventually(() => log.servers.length === 2 && client.connected, 10000, 'session on b');
    assert.strictEqual(log.goaways, 1);
    assert.deepStrictEqual(log.servers, [a, b]);
    env.redisCli('XADD', 'sp:{sl2}:events', '*', 'type', 't', 'data', 'on-b');
    await eventually(() => log.events.length === 2, 10000, 'event on b');
    assert.deepStrictEqual(log.events, ['on-a', 'on-b']);
  } finally {
    await client.close();
  }
});
