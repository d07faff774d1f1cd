'use strict';
// The examples run as documented against a real server.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { TestEnv, eventually } = require('./support/env');

let env;
test.before(async () => { env = await TestEnv.start(); });
test.after(async () => { await env.stop(); });

function runExample(name, options, args = []) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'examples', name), ...args], {
    env: {
      ...process.env, SEALPOST_SERVER: options.server, SEALPOST_SERVER_PK: options.serverPublicKey,
      SEALPOST_ID: options.id, SEALPOST_KEY: options.keyFile,
    },
  });
  child.output = '';
  child.stdout.on('data', (chunk) => { child.output += chunk; });
  return child;
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
}

test('the sender stores a time-stamped reading under 1000 bytes', async () => {
  const sender = runExample('sender.js', env.provision('x1'));
  try {
    await eventually(() => sender.output.includes('stored '), 10000, 'a stored reading');
    const data = env.redisCli('XRANGE', 'sp:inbound', '-', '+').split('\n').find((l) => l.startsWith('{"seq":1'));
    assert.ok(data.length < 1000);
    assert.ok(!Number.isNaN(Date.parse(JSON.parse(data).at)));
  } finally {
    await stop(sender);
  }
});

test('the listener prints an event pushed with redis-cli', async () => {
  const listener = runExample('listener.js', env.provision('x2'));
  try {
    await eventually(() => listener.output.includes('connected to'), 10000, 'listener connected');
    env.redisCli('XADD', 'sp:{x2}:events', '*', 'type', 'greeting', 'data', 'hello-listener');
    await eventually(() => listener.output.includes('greeting: hello-listener'), 10000, 'event printed');
  } finally {
    await stop(listener);
  }
});

test('request_echo prints the reply to an echo request and exits', async () => {
  const child = runExample('request_echo.js', env.provision('x3'), ['echo', '{"hello":"node"}']);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.strictEqual(code, 0, child.output);
  const line = child.output.split('\n').find((l) => l.startsWith('reply: '));
  assert.ok(line, child.output);
  const [, data, extra] = /^reply: (\{.*?\}) (\{.*\})$/.exec(line);
  assert.deepStrictEqual(JSON.parse(data), { hello: 'node' });
  assert.ok(Number(JSON.parse(extra).serverTs) > 0);
});
