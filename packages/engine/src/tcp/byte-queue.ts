/**
 * A byte FIFO made of immutable chunks: appending copies the new bytes once, consuming drops
 * whole chunks, and reading a range inside one chunk is a view, not a copy. Views stay valid
 * because no chunk is ever written after it is added: segments in flight can point into it.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already consumed. */
  private head = 0;
  length = 0;

  static from(bytes: Uint8Array): ByteQueue {
    const queue = new ByteQueue();
    queue.append(bytes);
    return queue;
  }

  /** Adds `bytes` at the end; `copy: false` keeps the array itself (it must never change). */
  append(bytes: Uint8Array, copy = true): void {
    if (bytes.length === 0) return;
    this.chunks.push(copy ? bytes.slice() : bytes);
    this.length += bytes.length;
  }

  /** Bytes [offset, offset + len): a view when they lie in one chunk, a copy otherwise. */
  read(offset: number, len: number): Uint8Array {
    const end = Math.min(this.length, offset + len);
    if (end <= offset) return new Uint8Array(0);
    let position = offset + this.head;
    let index = 0;
    while (index < this.chunks.length && position >= (this.chunks[index]?.length ?? 0)) {
      position -= this.chunks[index]?.length ?? 0;
      index += 1;
    }
    const first = this.chunks[index] ?? new Uint8Array(0);
    const wanted = end - offset;
    if (position + wanted <= first.length) return first.subarray(position, position + wanted);
    const out = new Uint8Array(wanted);
    let written = 0;
    for (let i = index; written < wanted; i++) {
      const chunk = this.chunks[i] ?? new Uint8Array(0);
      const start = i === index ? position : 0;
      const piece = chunk.subarray(start, Math.min(chunk.length, start + wanted - written));
      out.set(piece, written);
      written += piece.length;
    }
    return out;
  }

  /** Removes the first `n` bytes. */
  consume(n: number): void {
    let left = Math.min(n, this.length);
    this.length -= left;
    while (left > 0) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const available = first.length - this.head;
      if (left < available) {
        this.head += left;
        return;
      }
      left -= available;
      this.chunks.shift();
      this.head = 0;
    }
    if (this.length === 0) {
      this.chunks = [];
      this.head = 0;
    }
  }

  /** Everything queued, as one array (for snapshots). */
  toBytes(): Uint8Array {
    return this.read(0, this.length).slice();
  }
}
