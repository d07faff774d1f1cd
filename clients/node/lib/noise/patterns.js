'use strict';
// The handshake patterns this package speaks (Noise §7). sealpost uses XX;
// NN and IK are here so the published test vectors exercise every token.
const PATTERNS = {
  NN: { preInitiator: [], preResponder: [], messages: [['e'], ['e', 'ee']] },
  XX: { preInitiator: [], preResponder: [], messages: [['e'], ['e', 'ee', 's', 'es'], ['s', 'se']] },
  IK: { preInitiator: [], preResponder: ['s'], messages: [['e', 'es', 's', 'ss'], ['e', 'ee', 'se']] },
};

// "Noise_XX_25519_AESGCM_SHA256" -> { pattern, dh, cipher, hash }
function parseProtocolName(protocolName) {
  const parts = String(protocolName).split('_');
  if (parts.length !== 5 || parts[0] !== 'Noise') throw new Error(`bad Noise protocol name: ${protocolName}`);
  const [, pattern, dh, cipher, hash] = parts;
  if (!PATTERNS[pattern]) throw new Error(`unsupported Noise pattern: ${pattern}`);
  if (dh !== '25519') throw new Error(`unsupported Noise DH: ${dh}`);
  return { pattern, dh, cipher, hash };
}

module.exports = { PATTERNS, parseProtocolName };
