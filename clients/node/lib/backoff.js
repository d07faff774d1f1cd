'use strict';
// Reconnect delays: exponential with full jitter, so clients that lost the
// same server do not come back in step.
class Backoff {
  constructor({ initialMs = 250, maxMs = 30000 } = {}) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.attempt = 0;
  }

  next() {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 20));
    this.attempt += 1;
    return Math.round(Math.random() * ceiling);
  }

  reset() { this.attempt = 0; }
}

module.exports = { Backoff };
