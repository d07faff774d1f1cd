'use strict';
// Client-events and requests waiting for the server's ack: kept across
// reconnects and sent again, in order, with their original id, on every new
// session.
const crypto = require('node:crypto');

class Outbox {
  constructor() {
    this.prefix = crypto.randomBytes(6).toString('hex');
    this.counter = 0;
    this.pending = new Map(); // id -> { build, resolve, reject }
  }

  // build(id) makes the message (with a fresh ts) each time it is sent.
  add(build) {
    this.counter += 1;
    const id = `${this.prefix}-${this.counter}`;
    const promise = new Promise((resolve, reject) => this.pending.set(id, { build, resolve, reject }));
    return { id, promise };
  }

  get(id) { return this.pending.get(id); }

  entries() { return [...this.pending.entries()]; }

  settle(id, error) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (error) entry.reject(error);
    else entry.resolve(id);
  }

  rejectAll(error) {
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }
}

module.exports = { Outbox };
