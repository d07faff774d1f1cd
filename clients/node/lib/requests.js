'use strict';
// Requests waiting for their replies (PROTOCOL.md §6). A reply is an event
// with `type` "reply", `re` = the request's id and no `from` (an event with
// `from` is a direct message from another client, never a reply); `last` "0"
// marks a partial reply that more will follow.
const { SealpostError } = require('./errors');

const own = (object, name) => Object.prototype.hasOwnProperty.call(object, name);

class PendingRequests {
  constructor() {
    this.pending = new Map(); // id -> { method, parts, resolve, reject, timer, onPartial }
  }

  get size() { return this.pending.size; }

  // A promise of the final reply. After timeoutMs it is rejected with
  // `request_timeout` and onTimeout(error) runs; a reply after that is no
  // longer matched.
  add(id, method, { timeoutMs, onPartial, onTimeout }) {
    return new Promise((resolve, reject) => {
      const entry = { method, parts: [], resolve, reject, onPartial, timer: null };
      entry.timer = setTimeout(() => {
        const error = new SealpostError('request_timeout',
          `no reply to request ${id} (${method}) within ${timeoutMs} ms`);
        error.requestId = id;
        error.parts = entry.parts;
        this.fail(id, error);
        if (onTimeout) onTimeout(error);
      }, timeoutMs);
      this.pending.set(id, entry);
    });
  }

  // The id of the pending request the event's fields answer, or null.
  match(fields) {
    if (typeof fields !== 'object' || fields === null) return null;
    if (fields.type !== 'reply' || typeof fields.re !== 'string' || own(fields, 'from')) return null;
    return this.pending.has(fields.re) ? fields.re : null;
  }

  // Takes one reply event of a matched request; returns true when it was the
  // final one (the request is then resolved with it and all parts before it).
  receive(id, event) {
    const entry = this.pending.get(id);
    if (!entry) return false;
    entry.parts.push(event);
    if (event.fields.last === '0') {
      if (entry.onPartial) {
        try {
          entry.onPartial(event);
        } catch (err) {
          this.fail(id, err);
        }
      }
      return false;
    }
    this.finish(id);
    entry.resolve({ ...event, requestId: id, parts: entry.parts });
    return true;
  }

  fail(id, error) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.finish(id);
    entry.reject(error);
  }

  failAll(error) {
    for (const id of [...this.pending.keys()]) this.fail(id, error);
  }

  finish(id) {
    clearTimeout(this.pending.get(id).timer);
    this.pending.delete(id);
  }
}

module.exports = { PendingRequests };
