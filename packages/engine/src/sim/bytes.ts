import { EMPTY_BYTES } from '../tcp/buffers.js';

/** Byte arrays as base64 text, so that snapshots are plain JSON. */

/**
 * Node's Buffer, when the engine runs on Node: its base64 codec is native and about twenty
 * times faster than btoa/atob over a string, which a snapshot of megabytes of buffers feels.
 * The engine does not depend on it: in a browser the portable code below runs.
 */
interface NodeBuffer {
  from(
    data: ArrayBufferLike | string,
    offsetOrEncoding?: number | string,
    length?: number,
  ): Uint8Array & {
    toString(encoding: string): string;
  };
}
const nodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

export function bytesToBase64(bytes: Uint8Array): string {
  if (nodeBuffer !== undefined) {
    return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  }
  return portableBytesToBase64(bytes);
}

export function base64ToBytes(text: string): Uint8Array {
  if (text === '') return EMPTY_BYTES;
  if (nodeBuffer !== undefined) {
    // A copy of its own: a Buffer may share a pooled ArrayBuffer with others.
    return new Uint8Array(nodeBuffer.from(text, 'base64'));
  }
  return portableBase64ToBytes(text);
}

/** bytesToBase64 without Buffer (a browser). */
export function portableBytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** base64ToBytes without Buffer (a browser). */
export function portableBase64ToBytes(text: string): Uint8Array {
  if (text === '') return EMPTY_BYTES;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
