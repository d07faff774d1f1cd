'use strict';
// One TCP connection to a sealpost server: the XX handshake as initiator,
// then encrypted JSON messages. Reconnecting is the client's job.
//
// Events: 'welcome' (message), 'message' (message), 'close' (SealpostError or null).
const { EventEmitter } = require('node:events');
const crypto = require('node:crypto');
const net = require('node:net');
const { FrameDecoder, encodeFrame } = require('./frame');
const { HandshakeState } = require('./noise');
const { SealpostError, fromServerError } = require('./errors');
const { Transport } = require('./transport');
const messages = require('./messages');

const PROLOGUE = Buffer.from('sealpost/1', 'ascii');
const HANDSHAKE_FRAME_LIMIT = 3072;
const TRANSPORT_FRAME_LIMIT = 87380; // base64 of the largest Noise message

class Connection extends EventEmitter {
  // options: { host, port, clientId, keyPair, protocol, checkServerKey(publicKey) -> SealpostError|null, timeoutMs }
  constructor(options) {
    super();
    this.options = options;
    this.noise = new HandshakeState({
      protocolName: options.protocol, initiator: true, prologue: PROLOGUE, s: options.keyPair,
    });
    this.transport = null;
    this.active = false;
    this.closed = false;
    this.decoder = new FrameDecoder(HANDSHAKE_FRAME_LIMIT);
    this.socket = net.connect({ host: options.host, port: options.port });
    this.socket.setNoDelay(true);
    this.timer = setTimeout(() => this.fail(new SealpostError('timeout', 'no welcome in time')), options.timeoutMs);
    this.socket.on('connect', () => this.writeFrame(messages.handshake(this.noise.writeMessage(), options.protocol)));
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(new SealpostError(err.code || 'socket', err.message)));
    this.socket.on('close', () => this.fail(new SealpostError('closed', 'connection closed')));
  }

  send(message) {
    if (!this.active) return false;
    this.writeFrame(this.transport.seal(message));
    return true;
  }

  // Deliberate close: what was written (acks) is flushed first.
  close() { this.fail(null, true); }

  writeFrame(text) {
    if (!this.closed) this.socket.write(encodeFrame(text));
  }

  onData(chunk) {
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (this.closed) return;
        this.onFrame(frame);
      }
    } catch (err) {
      this.fail(err instanceof SealpostError ? err : new SealpostError('protocol', err.message));
    }
  }

  onFrame(frame) {
    if (this.transport) return this.onTransportFrame(frame);
    const message = messages.parseMessage(frame);
    if (!message) throw new SealpostError('protocol', 'handshake frame is not JSON');
    if (message.type === 'error') throw fromServerError(message, false);
    if (message.type !== 'handshake') throw new SealpostError('protocol', `unexpected ${message.type} during the handshake`);
    return this.onHandshake2(message);
  }

  onHandshake2(message) {
    const msg2 = messages.decodeBase64Strict(message.msg);
    if (!msg2) throw new SealpostError('protocol', 'handshake msg is not base64');
    try {
      this.noise.readMessage(msg2);
    } catch {
      throw new SealpostError('handshake_failed', 'handshake message 2 did not verify');
    }
    // The server's key is checked before message 3 reveals who we are.
    const keyError = this.options.checkServerKey(this.noise.rs);
    if (keyError) throw keyError;
    const payload = Buffer.from(JSON.stringify({ client: this.options.clientId }), 'utf8');
    this.writeFrame(messages.handshake(this.noise.writeMessage(payload)));
    this.transport = new Transport(this.noise.split());
    this.decoder.maxFrameBytes = TRANSPORT_FRAME_LIMIT;
  }

  onTransportFrame(frame) {
    let plaintext;
    try {
      plaintext = this.transport.open(frame);
    } catch {
      throw new SealpostError('decrypt_failed', 'a frame from the server did not decrypt');
    }
    const message = messages.parseMessage(plaintext);
    if (!message) throw new SealpostError('protocol', 'server message is not a typed JSON object');
    if (message.type === 'error' && !this.active) throw fromServerError(message, true);
    if (message.type === 'welcome' && !this.active) return this.onWelcome(message);
    if (!this.active) throw new SealpostError('protocol', `unexpected ${message.type} before welcome`);
    return this.emit('message', message);
  }

  onWelcome(message) {
    clearTimeout(this.timer);
    this.active = true;
    if (Number.isInteger(message.maxFrameBytes)) {
      this.decoder.maxFrameBytes = Math.max(message.maxFrameBytes, TRANSPORT_FRAME_LIMIT);
    }
    this.emit('welcome', message);
  }

  // Closes once; `error` null means a deliberate close.
  fail(error, graceful = false) {
    if (this.closed) return;
    this.closed = true;
    this.active = false;
    clearTimeout(this.timer);
    if (graceful) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.emit('close', error);
  }
}

// Constant-time comparison of a presented key with a pinned one.
function sameKey(a, b) {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

module.exports = { Connection, sameKey };
