#!/usr/bin/env node
'use strict';
// What one Node.js client process (clients/node, public API only) can do;
// the same modes and JSON line as bench_client.cpp and bench_client.py.
//
//   node bench_client.js recv --server H:P --server-pk PK --id ID --key FILE --events N
//   node bench_client.js handshakes --server H:P --server-pk PK --id ID --key FILE --seconds S
//
// recv: the clock runs from the first event to the last one received (the
// server keeps at most its window unacked, so acks pace it). handshakes:
// connect -> welcome -> close, one after another. CPU is this process's
// user + system time.
const path = require('node:path');
const { SealpostClient } = require(path.join(__dirname, '..', '..', 'clients', 'node'));

function parseArgs(argv) {
  const args = { mode: argv[0], server: '127.0.0.1:9300', events: 20000, seconds: 5 };
  for (let i = 1; i < argv.length; i += 2) args[argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase())] = argv[i + 1];
  if (!['recv', 'handshakes'].includes(args.mode) || !args.serverPk || !args.id || !args.key) {
    throw new Error('usage: bench_client.js recv|handshakes --server H:P --server-pk PK --id ID --key FILE [--events N] [--seconds S]');
  }
  return args;
}

const nowS = () => Number(process.hrtime.bigint()) / 1e9;
const cpuS = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

function newClient(args) {
  return new SealpostClient({ server: args.server, serverPublicKey: args.serverPk, id: args.id, keyFile: args.key });
}

// Resolves when `client` emits `event`, rejects on a fatal error.
function untilEvent(client, event) {
  return new Promise((resolve, reject) => {
    client.once(event, resolve);
    client.on('error', (err) => { if (err.fatal) reject(err); });
  });
}

async function recv(args) {
  const want = Number(args.events);
  let received = 0; let tFirst = 0; let tLast = 0; let cpuFirst = 0; let cpuLast = 0;
  const client = newClient(args);
  const done = untilEvent(client, 'bench-done');
  client.on('event', () => {
    received += 1;
    if (received === 1) { tFirst = nowS(); cpuFirst = cpuS(); }
    if (received === want) { tLast = nowS(); cpuLast = cpuS(); client.emit('bench-done'); }
  });
  await done;
  await client.close(); // the last handler has finished: its ack is sent
  const n = received - 1;
  const secs = tLast - tFirst;
  print({ bench: 'client_recv', client: 'node', events: received, seconds: secs,
    events_per_s: secs > 0 ? n / secs : 0, cpu_us_per_event: n > 0 ? (cpuLast - cpuFirst) * 1e6 / n : 0, error: '' });
}

async function handshakes(args) {
  const t0 = nowS(); const cpu0 = cpuS();
  const deadline = t0 + Number(args.seconds);
  let done = 0;
  while (nowS() < deadline) {
    const client = newClient(args);
    await untilEvent(client, 'connected');
    done += 1;
    await client.close();
  }
  const secs = nowS() - t0;
  print({ bench: 'client_handshakes', client: 'node', handshakes: done, seconds: secs,
    handshakes_per_s: secs > 0 ? done / secs : 0, cpu_us_per_handshake: done ? (cpuS() - cpu0) * 1e6 / done : 0, error: '' });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  await (args.mode === 'recv' ? recv(args) : handshakes(args));
}

main().catch((err) => {
  print({ bench: 'client', client: 'node', error: err.code || err.message });
  process.exit(1);
});
