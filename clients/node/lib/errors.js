'use strict';
// Errors a client reports. `fatal` ones stop it: retrying cannot help.

// Only these, and only when they arrive encrypted, end a client for good
// (PROTOCOL.md §2: a plaintext error is unauthenticated).
const FINAL_SERVER_CODES = new Set(['unknown_client', 'client_disabled', 'revoked']);

class SealpostError extends Error {
  constructor(code, message, { fatal = false, retry = false } = {}) {
    super(message);
    this.name = 'SealpostError';
    this.code = code;
    this.fatal = fatal;
    this.retry = retry;
  }
}

// From an `error` message; `encrypted` tells whether it came authenticated.
function fromServerError(message, encrypted) {
  const code = typeof message.code === 'string' ? message.code : 'error';
  const text = `server error ${code}${message.message ? `: ${message.message}` : ''}`;
  return new SealpostError(code, text, {
    fatal: encrypted && FINAL_SERVER_CODES.has(code),
    retry: message.retry === true,
  });
}

module.exports = { SealpostError, fromServerError };
