'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { FrameDecoder, FrameTooLarge, encodeFrame } = require('../lib/frame');

test('frames split and merged in any way come out whole; empty frames are skipped', () => {
  const bytes = Buffer.concat([encodeFrame('{"a":1}'), Buffer.alloc(1), encodeFrame('bcd'), encodeFrame('e')]);
  for (let cut = 1; cut < bytes.length; cut += 1) {
    const decoder = new FrameDecoder(100);
    const frames = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
    assert.deepStrictEqual(frames.map(String), ['{"a":1}', 'bcd', 'e'], `cut at ${cut}`);
  }
});

test('a frame over the limit is refused even before its terminator arrives', () => {
  const decoder = new FrameDecoder(4);
  assert.deepStrictEqual(decoder.push(Buffer.from('abcd\0')).map(String), ['abcd']);
  decoder.push(Buffer.from('ab'));
  assert.throws(() => decoder.push(Buffer.from('cde')), FrameTooLarge);
});
