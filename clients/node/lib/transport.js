'use strict';
// Transport messages (PROTOCOL.md §3): Noise ciphertext in standard base64,
// with sealpost's rekey every 65536 messages per direction.
const { decodeBase64Strict } = require('./messages');

const REKEY_INTERVAL = 65536n;
const MAX_PLAINTEXT = 65535 - 16;
const EMPTY = Buffer.alloc(0);

function rekeyIfDue(cipherState) {
  if (cipherState.n > 0n && cipherState.n % REKEY_INTERVAL === 0n) cipherState.rekey();
}

class Transport {
  constructor([sendState, receiveState]) {
    this.sendState = sendState;
    this.receiveState = receiveState;
  }

  // object -> base64 text of one frame.
  seal(message) {
    const plaintext = Buffer.from(JSON.stringify(message), 'utf8');
    if (plaintext.length > MAX_PLAINTEXT) throw new RangeError(`message over ${MAX_PLAINTEXT} bytes`);
    rekeyIfDue(this.sendState);
    return this.sendState.encryptWithAd(EMPTY, plaintext).toString('base64');
  }

  // Frame bytes -> plaintext Buffer; throws when it is not base64 or does not verify.
  open(frame) {
    const ciphertext = decodeBase64Strict(frame.toString('latin1'));
    if (!ciphertext) throw new Error('transport frame is not base64');
    rekeyIfDue(this.receiveState);
    return this.receiveState.decryptWithAd(EMPTY, ciphertext);
  }
}

module.exports = { Transport, MAX_PLAINTEXT };
