'use strict';
// The last `capacity` event ids handled: a redelivered event is acked again
// without reaching the application twice.
class RecentIds {
  constructor(capacity = 10000) {
    this.capacity = capacity;
    this.ids = new Set();
  }

  has(id) { return this.ids.has(id); }

  add(id) {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value);
  }
}

module.exports = { RecentIds };
