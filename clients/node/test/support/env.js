'use strict';
// A private redis-server and sealpost-server on free ports in a temp dir,
// for integration tests. Binaries come from $SEALPOST_BIN_DIR (default
// <repo>/build/bin). Processes are stopped by PID in stop().
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const BIN_DIR = process.env.SEALPOST_BIN_DIR || path.join(REPO, 'build', 'bin');
const bin = (name) => path.join(BIN_DIR, name);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Polls `condition` (sync or async) every 20 ms until it is truthy or the time is up.
async function eventually(condition, timeoutMs = 10000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

class TestEnv {
  // serverArgs: extra sealpost-server flags for every server this env starts.
  static async start(serverArgs = []) {
    const env = new TestEnv();
    env.serverArgs = serverArgs;
    await env.startRedis();
    env.serverKeyFile = path.join(env.dir, 'server.key');
    env.serverPublicKey = env.keygen(env.serverKeyFile);
    env.port = await freePort();
    await env.startServer();
    return env;
  }

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-node-'));
    this.servers = [];
  }

  async startRedis() {
    this.redisPort = await freePort();
    this.redis = spawn('redis-server', ['--port', String(this.redisPort), '--bind', '127.0.0.1',
      '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' });
    await eventually(() => canConnect(this.redisPort), 10000, 'redis-server');
  }

  // Another node (same Redis, same key) on `port`: several make a server list.
  async startServer(port = this.port) {
    const log = fs.openSync(path.join(this.dir, `server-${this.servers.length}.log`), 'w');
    const server = spawn(bin('sealpost-server'), ['--listen', `127.0.0.1:${port}`,
      '--redis', `redis://127.0.0.1:${this.redisPort}/0`, '--key-file', this.serverKeyFile,
      '--log-level', 'warn', ...this.serverArgs], { stdio: ['ignore', log, log] });
    this.servers.push(server);
    await eventually(() => canConnect(port), 10000, 'sealpost-server');
    return server;
  }

  // Stops a server with SIGTERM (it drains: goaway to every client) and waits for its exit.
  stopServer(server) {
    return new Promise((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve();
      server.once('exit', resolve);
      server.kill('SIGTERM');
    });
  }

  // `sealpost keygen`: writes a key file, returns its base64 public key.
  keygen(file) {
    return execFileSync(bin('sealpost'), ['keygen', '--out', file], { encoding: 'utf8' }).trim().split(/\s+/).pop();
  }

  redisCli(...args) {
    return execFileSync('redis-cli', ['-p', String(this.redisPort), ...args], { encoding: 'utf8' });
  }

  // A provisioned client: its key file (made by `sealpost keygen`) and options.
  provision(id) {
    const keyFile = path.join(this.dir, `${id}.key`);
    const pk = this.keygen(keyFile);
    this.redisCli('HSET', `sp:{${id}}:client`, 'pk', pk);
    return { server: `127.0.0.1:${this.port}`, serverPublicKey: this.serverPublicKey, id, keyFile };
  }

  async stop() {
    for (const server of this.servers) {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    }
    if (this.redis.exitCode === null) this.redis.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { TestEnv, bin, eventually, freePort };
