// Snapshots keep byte buffers as base64: Node's native codec and the portable one (a
// browser's) must write and read exactly the same text.
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  portableBase64ToBytes,
  portableBytesToBase64,
} from '../src/sim/bytes.js';

function pattern(length: number, offset = 0): Uint8Array {
  const backing = new Uint8Array(length + offset + 3);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 151 + 7) & 0xff;
  return backing.subarray(offset, offset + length);
}

describe('snapshot bytes as base64', () => {
  it.each([0, 1, 2, 3, 4, 255, 0x8000 + 1, 300_000])(
    'native and portable codecs agree on %i bytes (from an offset into a larger buffer)',
    (length) => {
      const bytes = pattern(length, 5);
      const text = bytesToBase64(bytes);
      expect(text).toBe(portableBytesToBase64(bytes));
      expect(text.length).toBe(Math.ceil(length / 3) * 4);
      expect(base64ToBytes(text)).toEqual(bytes);
      expect(portableBase64ToBytes(text)).toEqual(bytes);
    },
  );

  it('decodes into bytes of their own (not a view of a shared pool)', () => {
    const decoded = base64ToBytes(bytesToBase64(pattern(16)));
    expect(decoded.byteOffset).toBe(0);
    expect(decoded.buffer.byteLength).toBe(16);
  });
});
