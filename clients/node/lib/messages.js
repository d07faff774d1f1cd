'use strict';
// The JSON messages of PROTOCOL.md §4, built and checked on the client side.

const CLIENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
// Group and method names have the client id's alphabet and length (§6).
const NAME = CLIENT_ID;
const RESERVED_FIELDS = new Set(['client', 'id', 'ts', 'from', 'to']);
const MAX_EVENT_FIELDS = 32;
const MAX_ID_BYTES = 128;
// Standard padded base64, nothing else (PROTOCOL.md §1, §2).
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const now = () => Date.now();

function decodeBase64Strict(text) {
  if (typeof text !== 'string' || !STRICT_BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}

const handshake = (msg, protocol) => JSON.stringify({
  type: 'handshake', ts: now(), ...(protocol ? { protocol } : {}), msg: msg.toString('base64'),
});

const ack = (eventId) => ({ type: 'ack', ts: now(), eventId });
const pong = (echo) => ({ type: 'pong', ts: now(), echo });
const ping = () => ({ type: 'ping', ts: now() });
// `to` (a client id or "group:<name>") makes it a direct or group message (§6).
const clientEvent = (id, event, to) => ({ type: 'client-event', ts: now(), id, ...(to === undefined ? {} : { to }), event });
// `params` undefined: the field is left out.
const request = (id, method, params) => ({
  type: 'request', ts: now(), id, method, ...(params === undefined ? {} : { params }),
});

// Throws a TypeError naming the problem; the server would close the
// connection for any of these, so they must never reach it.
function checkEvent(event) {
  if (typeof event !== 'object' || event === null) throw new TypeError('event must be an object');
  const names = Object.keys(event);
  if (names.length > MAX_EVENT_FIELDS) throw new TypeError(`event has more than ${MAX_EVENT_FIELDS} fields`);
  if (typeof event.type !== 'string' || event.type === '') throw new TypeError('event.type must be a non-empty string');
  for (const name of names) {
    if (name === '') throw new TypeError('event field names may not be empty');
    if (RESERVED_FIELDS.has(name)) throw new TypeError(`event.${name} is reserved for the server`);
    if (typeof event[name] !== 'string') throw new TypeError(`event.${name} must be a string`);
  }
}

// A message's target: "<client id>" or "group:<name>".
function checkTarget(to) {
  if (typeof to !== 'string') throw new TypeError('to must be a client id or "group:<name>"');
  const name = to.startsWith('group:') ? to.slice('group:'.length) : to;
  if (!NAME.test(name)) throw new TypeError(`to must be a client id or "group:<name>" (1-64 of A-Z a-z 0-9 _ . -), got ${JSON.stringify(to)}`);
}

function checkMethod(method) {
  if (typeof method !== 'string' || !NAME.test(method)) {
    throw new TypeError('method must be 1-64 characters from A-Z a-z 0-9 _ . -');
  }
}

// params is any JSON value; undefined leaves it out. Returns nothing, throws a TypeError.
function checkParams(params) {
  if (params === undefined) return;
  let text;
  try {
    text = JSON.stringify(params);
  } catch (err) {
    throw new TypeError(`params must be JSON-serializable: ${err.message}`);
  }
  if (text === undefined) throw new TypeError('params must be a JSON value');
}

function checkClientId(id) {
  if (typeof id !== 'string' || !CLIENT_ID.test(id)) {
    throw new TypeError('id must be 1-64 characters from A-Z a-z 0-9 _ . -');
  }
}

// Parses one decrypted/plaintext frame; null when it is not a typed JSON object.
function parseMessage(buffer) {
  let message;
  try {
    message = JSON.parse(buffer.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return null;
  return message;
}

module.exports = {
  MAX_ID_BYTES, RESERVED_FIELDS, ack, checkClientId, checkEvent, checkMethod, checkParams, checkTarget,
  clientEvent, decodeBase64Strict, handshake, parseMessage, ping, pong, request,
};
