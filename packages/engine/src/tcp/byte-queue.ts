/**
 * A byte FIFO made of immutable chunks: appending copies the new bytes once, consuming drops
 * whole chunks, and reading a range inside one chunk is a view, not a copy. Views stay valid
 * because no chunk is ever written after it is added: segments in flight can point into it.
 *
 * A sender's queue may hold hundreds of chunks (one per write), so the chunk holding an offset
 * is found by binary search over where each chunk starts, not by walking from the front.
 */
import { copyBytes } from './buffers.js';

/**
 * An empty queue holds these two shared arrays (never written: append replaces them), so the
 * two idle queues of an idle connection cost no arrays of their own.
 */
const NO_CHUNKS: Uint8Array[] = [];
const NO_STARTS: number[] = [];

export class ByteQueue {
  /** chunks[first..] hold the bytes; consumed chunks before `first` are dropped in batches. */
  private chunks = NO_CHUNKS;
  /** Where each chunk starts, counted from the first byte ever queued. */
  private starts = NO_STARTS;
  private first = 0;
  /** The first byte not yet consumed, counted the same way. */
  private front = 0;
  length = 0;

  static from(bytes: Uint8Array): ByteQueue {
    const queue = new ByteQueue();
    queue.append(bytes);
    return queue;
  }

  /** Adds `bytes` at the end; `copy: false` keeps the array itself (it must never change). */
  append(bytes: Uint8Array, copy = true): void {
    if (bytes.length === 0) return;
    if (this.chunks === NO_CHUNKS) {
      this.chunks = [];
      this.starts = [];
    }
    this.chunks.push(copy ? copyBytes(bytes) : bytes);
    this.starts.push(this.front + this.length);
    this.length += bytes.length;
  }

  /** Bytes [offset, offset + len): a view when they lie in one chunk or in chunks that lie end to end in one buffer, a copy otherwise. */
  read(offset: number, len: number): Uint8Array {
    const wanted = Math.min(this.length, offset + len) - offset;
    if (wanted <= 0) return new Uint8Array(0);
    const at = this.front + offset;
    let index = this.chunkAt(at);
    let position = at - this.starts[index]!;
    const chunk = this.chunks[index]!;
    if (position + wanted <= chunk.length) return chunk.subarray(position, position + wanted);
    const joined = this.contiguousView(index, position, wanted);
    if (joined !== undefined) return joined;
    const out = new Uint8Array(wanted);
    for (let written = 0; written < wanted; index++, position = 0) {
      const chunk = this.chunks[index]!;
      const end = Math.min(chunk.length, position + wanted - written);
      // A view costs more than the copy of a segment: whole chunks are copied without one.
      out.set(
        position === 0 && end === chunk.length ? chunk : chunk.subarray(position, end),
        written,
      );
      written += end - position;
    }
    return out;
  }

  /** Removes the first `n` bytes. */
  consume(n: number): void {
    const taken = Math.min(n, this.length);
    this.length -= taken;
    this.front += taken;
    if (this.length === 0) {
      this.chunks = NO_CHUNKS;
      this.starts = NO_STARTS;
      this.first = 0;
      return;
    }
    while (this.starts[this.first]! + this.chunks[this.first]!.length <= this.front)
      this.first += 1;
    // Dropping chunks from the front one by one would move the whole array each time (a send
    // queue may hold thousands): they go once they are half of it.
    if (this.first >= 64 && this.first * 2 >= this.chunks.length) {
      this.chunks.splice(0, this.first);
      this.starts.splice(0, this.first);
      this.first = 0;
    }
  }

  /** Everything queued, as one array (for snapshots). */
  toBytes(): Uint8Array {
    return copyBytes(this.read(0, this.length));
  }

  /**
   * One view over several chunks when they lie end to end in the same buffer, as the segments
   * of one write do in the receiver's queue: reading them back costs no copy.
   */
  private contiguousView(index: number, position: number, wanted: number): Uint8Array | undefined {
    const start = this.chunks[index]!;
    let end = start.byteOffset + start.length;
    for (let covered = start.length - position, i = index + 1; covered < wanted; i++) {
      const next = this.chunks[i]!;
      if (next.buffer !== start.buffer || next.byteOffset !== end) return undefined;
      end += next.length;
      covered += next.length;
    }
    return new Uint8Array(start.buffer, start.byteOffset + position, wanted);
  }

  /** The index of the chunk holding absolute position `at` (which must be queued). */
  private chunkAt(at: number): number {
    let low = this.first;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.starts[mid]! <= at) low = mid;
      else high = mid - 1;
    }
    return low;
  }
}
