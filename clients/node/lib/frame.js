'use strict';
// sealpost framing (PROTOCOL.md §1): bytes up to a single 0x00 terminator.

class FrameTooLarge extends Error {}

class FrameDecoder {
  constructor(maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
    this.chunks = [];
    this.buffered = 0;
  }

  // Returns the complete frames (Buffers) in `chunk`; empty frames are skipped.
  // Throws FrameTooLarge when a frame outgrows the limit.
  push(chunk) {
    const frames = [];
    let start = 0;
    for (let zero = chunk.indexOf(0); zero !== -1; zero = chunk.indexOf(0, start)) {
      this.append(chunk.subarray(start, zero));
      const frame = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      if (frame.length > 0) frames.push(frame);
      this.chunks = [];
      this.buffered = 0;
      start = zero + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return frames;
  }

  append(part) {
    if (part.length === 0) return;
    this.buffered += part.length;
    if (this.buffered > this.maxFrameBytes) throw new FrameTooLarge(`frame over ${this.maxFrameBytes} bytes`);
    // Copy: the socket may reuse the chunk's memory.
    this.chunks.push(Buffer.from(part));
  }
}

function encodeFrame(text) {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(1)]);
}

module.exports = { FrameDecoder, FrameTooLarge, encodeFrame };
