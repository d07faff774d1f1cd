'use strict';
// SealpostClient: one session at a time, reconnected with jittered backoff;
// server-events handed to 'event' listeners in order, deduplicated and acked;
// client-events and requests kept until the server acks them; replies
// matched to their requests.
const { EventEmitter } = require('node:events');
const { Backoff } = require('./backoff');
const { Connection, sameKey } = require('./connection');
const { RecentIds } = require('./dedup');
const { SealpostError, fromServerError } = require('./errors');
const { checkKnownServer } = require('./known_servers');
const messages = require('./messages');
const { normalizeOptions } = require('./options');
const { Outbox } = require('./outbox');
const { PendingRequests } = require('./requests');

const RETRY_SEND_MS = 1000;
const GOAWAY_CLOSE_MS = 30000;
const REQUEST_TIMEOUT_MS = 30000;

class SealpostClient extends EventEmitter {
  constructor(options) {
    super();
    this.options = normalizeOptions(options);
    this.backoff = new Backoff(this.options.backoff);
    this.recent = new RecentIds(this.options.dedupSize);
    this.inProgress = new Set();
    this.outbox = new Outbox();
    this.requests = new PendingRequests();
    this.handlers = Promise.resolve();
    this.conn = null;
    this.session = null;
    this.stopped = false;
    this.draining = false;
    this.goawayDelay = null;
    this.sessionStart = null;
    this.timers = new Set();
    // Round robin over the servers from a random one, so many clients given
    // the same list spread over its nodes.
    const n = this.options.servers.length;
    this.serverIndex = this.options.firstServer >= 0 ? this.options.firstServer % n : Math.floor(Math.random() * n);
    // Connect once the caller has attached its listeners.
    setImmediate(() => this.connect());
  }

  get connected() { return Boolean(this.conn && this.conn.active); }

  // The server the current (or next) connection is to: { server, host, port, serverName }.
  get server() { return this.options.servers[this.serverIndex]; }

  get publicKey() { return this.options.keyPair.publicKey.toString('base64'); }

  // Resolves with the event's id once the server has stored it in Redis:
  // in sp:inbound, or with options.to ("<client id>" or "group:<name>") in
  // the target's stream (every member's but ours for a group).
  send(type, data = '', fields = {}, options = {}) {
    // type and data first: the stream entry keeps this order.
    const event = { type, data, ...fields };
    event.type = type;
    event.data = data;
    messages.checkEvent(event);
    const { to } = options || {};
    if (to !== undefined) messages.checkTarget(to);
    if (this.stopped) return Promise.reject(new SealpostError('closed', 'client is closed'));
    const { id, promise } = this.outbox.add((eventId) => messages.clientEvent(eventId, event, to));
    this.transmit(id);
    return promise;
  }

  // Sends a request (kept and resent until acked, like send()) and resolves
  // with its final reply: that event plus `requestId` and `parts` (every
  // reply event, partial ones first). Rejects on a refusal (forbidden,
  // quota, ...), on close, and with `request_timeout` after timeoutMs.
  request(method, params, { timeoutMs = REQUEST_TIMEOUT_MS, onPartial } = {}) {
    messages.checkMethod(method);
    messages.checkParams(params);
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw new TypeError('timeoutMs must be a positive number');
    if (onPartial !== undefined && typeof onPartial !== 'function') throw new TypeError('onPartial must be a function');
    if (this.stopped) return Promise.reject(new SealpostError('closed', 'client is closed'));
    const { id, promise: stored } = this.outbox.add((requestId) => messages.request(requestId, method, params));
    // A request that timed out before its ack is not sent again.
    const reply = this.requests.add(id, method, { timeoutMs, onPartial, onTimeout: (err) => this.outbox.settle(id, err) });
    stored.catch((err) => this.requests.fail(id, err));
    this.transmit(id);
    return reply;
  }

  // Explicit ack (with autoAck: false); also records the id as handled.
  ack(eventId) {
    this.recent.add(eventId);
    if (this.conn) this.conn.send(messages.ack(eventId));
  }

  // Lets running handlers finish (their acks are sent), then disconnects.
  async close() {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await this.handlers;
    const closed = new SealpostError('closed', 'client is closed');
    this.outbox.rejectAll(closed);
    this.requests.failAll(closed);
    if (this.conn) this.conn.close();
  }

  later(ms, fn) {
    const timer = setTimeout(() => { this.timers.delete(timer); fn(); }, ms);
    this.timers.add(timer);
  }

  transmit(id) {
    const entry = this.outbox.get(id);
    if (entry && this.connected && !this.draining) this.conn.send(entry.build(id));
  }

  connect() {
    if (this.stopped) return;
    const o = this.options;
    const s = this.server;
    const conn = new Connection({
      host: s.host, port: s.port, clientId: o.id, keyPair: o.keyPair, protocol: o.protocol,
      timeoutMs: o.connectTimeoutMs, checkServerKey: (key) => this.checkServerKey(key),
    });
    this.conn = conn;
    conn.on('welcome', (m) => this.onWelcome(m));
    conn.on('message', (m) => this.onMessage(m));
    conn.on('close', (err) => this.onClose(conn, err));
  }

  checkServerKey(key) {
    const o = { ...this.options, ...this.server };
    if (o.serverPublicKey) {
      if (sameKey(key, o.serverPublicKey)) return null;
      return new SealpostError('server_key_mismatch', `server ${o.server} presented another key than the pinned one`, { fatal: true });
    }
    let check;
    try {
      check = checkKnownServer(o.knownServersFile, o.serverName, key);
    } catch (err) {
      return new SealpostError('known_servers', `${o.knownServersFile}: ${err.message}`, { fatal: true });
    }
    if (check.result === 'recorded') this.emit('trusted', { server: o.serverName, publicKey: check.key, file: o.knownServersFile });
    if (check.result !== 'mismatch') return null;
    return new SealpostError('server_key_mismatch', `the key recorded for ${o.serverName} in ${o.knownServersFile} (line ${check.line}) differs; remove that line if the change is expected`, { fatal: true });
  }

  onWelcome(welcome) {
    this.draining = false;
    this.sessionStart = Date.now();
    welcome.server = this.server.server;
    this.session = welcome;
    this.watchLiveness(welcome.heartbeatMs);
    this.emit('connected', welcome);
    for (const [id] of this.outbox.entries()) this.transmit(id);
  }

  // The server pings every heartbeatMs; a server silent for three of them is gone.
  watchLiveness(heartbeatMs) {
    const conn = this.conn;
    const limit = 3 * (Number.isInteger(heartbeatMs) && heartbeatMs > 0 ? heartbeatMs : 5000);
    const timer = setTimeout(() => conn.fail(new SealpostError('timeout', 'server silent')), limit);
    conn.on('message', () => timer.refresh());
    conn.on('close', () => clearTimeout(timer));
  }

  onMessage(m) {
    switch (m.type) {
      case 'server-event': return this.onServerEvent(m);
      case 'ack': return this.outbox.settle(m.id, null);
      case 'ping': return this.conn.send(messages.pong(m.ts));
      case 'error': return this.onServerError(m);
      case 'goaway': return this.onGoaway(m);
      default: return undefined; // pong and future types
    }
  }

  // Keep acking, send nothing new; the server closes when its drain ends,
  // and a server that never does is left after GOAWAY_CLOSE_MS.
  onGoaway(m) {
    const conn = this.conn;
    this.draining = true;
    this.goawayDelay = Number.isInteger(m.reconnectMs) && m.reconnectMs >= 0 ? m.reconnectMs : null;
    this.later(GOAWAY_CLOSE_MS, () => { if (this.conn === conn) conn.close(); });
    this.emit('goaway', m);
  }

  onServerError(m) {
    const err = fromServerError(m, true);
    if (typeof m.id === 'string' && this.outbox.get(m.id)) {
      if (err.retry) this.later(RETRY_SEND_MS, () => this.transmit(m.id));
      else this.outbox.settle(m.id, err);
      return;
    }
    if (err.code === 'unknown_event') return;
    this.lastServerError = err; // the server closes after the others
  }

  onServerEvent(m) {
    const { eventId } = m;
    if (typeof eventId !== 'string' || typeof m.event !== 'object' || m.event === null) return;
    if (this.recent.has(eventId)) { this.ack(eventId); return; }
    if (this.inProgress.has(eventId)) return; // redelivered while its handler runs
    const requestId = this.requests.match(m.event);
    if (requestId !== null) return this.onReply(requestId, m);
    this.inProgress.add(eventId);
    const event = {
      eventId, attempt: m.attempt, type: m.event.type, data: m.event.data, fields: m.event, ts: m.ts,
      ack: () => this.ack(eventId),
    };
    this.handlers = this.handlers.then(() => this.deliver(event));
    return undefined;
  }

  // A reply to a pending request: acked at once (whatever autoAck says) and
  // given to the request, not to 'event' listeners.
  onReply(requestId, m) {
    const { eventId } = m;
    this.ack(eventId);
    const event = {
      eventId, attempt: m.attempt, type: m.event.type, data: m.event.data, fields: m.event, ts: m.ts,
      ack: () => {},
    };
    // A final reply proves the request was stored: stop resending it.
    if (this.requests.receive(requestId, event)) this.outbox.settle(requestId, null);
  }

  async deliver(event) {
    try {
      await Promise.all(this.listeners('event').map((listener) => listener.call(this, event)));
      if (this.options.autoAck) this.ack(event.eventId);
    } catch (err) {
      // Not acked: the server delivers it again.
      err.eventId = event.eventId;
      if (this.listenerCount('error') > 0) this.emit('error', err);
      else process.emitWarning(`sealpost: event handler failed for ${event.eventId}: ${err.message}`);
    } finally {
      this.inProgress.delete(event.eventId);
    }
  }

  onClose(conn, err) {
    if (conn !== this.conn) return;
    this.conn = null;
    const sessionStart = this.sessionStart;
    this.sessionStart = null;
    const reason = (err && err.code === 'closed' && this.lastServerError) || err;
    this.lastServerError = null;
    this.emit('disconnected', reason);
    if (this.stopped) return;
    if (reason && reason.fatal) {
      this.stopped = true;
      this.outbox.rejectAll(reason);
      this.requests.failAll(reason);
      process.nextTick(() => this.emit('error', reason));
      return;
    }
    // Whatever ended this attempt or session may be this node's alone: the
    // next attempt goes to the next server of the list.
    this.serverIndex = (this.serverIndex + 1) % this.options.servers.length;
    // The failures count until a session stays up (or ends by a drain): a
    // node that welcomes and drops us at once is not retried at full speed.
    const wentAway = this.goawayDelay !== null;
    if (sessionStart !== null && (wentAway || Date.now() - sessionStart >= this.options.healthySessionMs)) this.backoff.reset();
    const delay = wentAway ? this.goawayDelay : this.backoff.next();
    this.goawayDelay = null;
    this.later(delay, () => this.connect());
  }
}

module.exports = { SealpostClient };
