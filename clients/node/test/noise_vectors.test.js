'use strict';
// The Noise implementation against the cacophony vectors the C++ suite uses.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { HandshakeState, keyPairFromPrivate } = require('../lib/noise');

const VECTORS = path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'noise-cacophony-subset.json');
const hex = (s) => Buffer.from(s, 'hex');
const keyPair = (s) => (s ? keyPairFromPrivate(hex(s)) : null);

function sides(v) {
  const initiator = new HandshakeState({
    protocolName: v.protocol_name, initiator: true, prologue: hex(v.init_prologue),
    s: keyPair(v.init_static), e: keyPair(v.init_ephemeral),
    rs: v.init_remote_static ? hex(v.init_remote_static) : null,
  });
  const responder = new HandshakeState({
    protocolName: v.protocol_name, initiator: false, prologue: hex(v.resp_prologue),
    s: keyPair(v.resp_static), e: keyPair(v.resp_ephemeral),
    rs: v.resp_remote_static ? hex(v.resp_remote_static) : null,
  });
  return [initiator, responder];
}

const { vectors } = JSON.parse(fs.readFileSync(VECTORS, 'utf8'));

test('the vector file holds the sealpost suites', () => {
  const names = vectors.map((v) => v.protocol_name);
  assert.ok(names.includes('Noise_XX_25519_AESGCM_SHA256'));
  assert.ok(names.includes('Noise_XX_25519_ChaChaPoly_BLAKE2b'));
});

for (const v of vectors) {
  test(`cacophony vector ${v.protocol_name}`, () => {
    const [initiator, responder] = sides(v);
    let transport = null; // [initiator's [send, recv], responder's [send, recv]]
    v.messages.forEach((m, i) => {
      const fromInitiator = i % 2 === 0;
      let ciphertext;
      let payload;
      if (!transport) {
        const [writer, reader] = fromInitiator ? [initiator, responder] : [responder, initiator];
        ciphertext = writer.writeMessage(hex(m.payload));
        payload = reader.readMessage(ciphertext);
        if (initiator.isComplete()) {
          assert.ok(responder.isComplete());
          assert.strictEqual(initiator.handshakeHash().toString('hex'), v.handshake_hash);
          assert.strictEqual(responder.handshakeHash().toString('hex'), v.handshake_hash);
          const [i2r, r2i] = initiator.split();
          const [ri2r, rr2i] = responder.split();
          transport = { i2r, r2i, ri2r, rr2i };
        }
      } else {
        const [send, recv] = fromInitiator ? [transport.i2r, transport.ri2r] : [transport.rr2i, transport.r2i];
        ciphertext = send.encryptWithAd(Buffer.alloc(0), hex(m.payload));
        payload = recv.decryptWithAd(Buffer.alloc(0), ciphertext);
      }
      assert.strictEqual(ciphertext.toString('hex'), m.ciphertext, `message ${i}`);
      assert.strictEqual(payload.toString('hex'), m.payload, `payload ${i}`);
    });
  });
}

test('an altered handshake message does not verify', () => {
  const v = vectors.find((x) => x.protocol_name === 'Noise_XX_25519_AESGCM_SHA256');
  const [initiator, responder] = sides(v);
  responder.readMessage(initiator.writeMessage());
  const message2 = responder.writeMessage();
  message2[40] ^= 1;
  assert.throws(() => initiator.readMessage(message2));
});
