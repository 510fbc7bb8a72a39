/**
 * The simulation's pending events, ordered by time and, for equal times, by the order they were
 * scheduled: the stable order that makes a run reproducible. A binary heap; entries are plain
 * data, so the queue serialises into a snapshot as it is.
 */

export interface Scheduled<T> {
  /** Virtual time in microseconds. */
  at: number;
  /** Tie-breaker: the scheduling order. */
  order: number;
  event: T;
}

export interface EventQueueState<T> {
  entries: Scheduled<T>[];
  nextOrder: number;
}

export class EventQueue<T> {
  private heap: Scheduled<T>[];
  private nextOrder: number;

  constructor(state: EventQueueState<T> = { entries: [], nextOrder: 0 }) {
    this.heap = [];
    this.nextOrder = state.nextOrder;
    for (const entry of state.entries) this.push(entry);
  }

  get size(): number {
    return this.heap.length;
  }

  schedule(at: number, event: T): void {
    this.push({ at, order: this.nextOrder++, event });
  }

  /** The time of the earliest event, or undefined when there is none. */
  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  /** The earliest event, left in the queue. */
  peek(): Scheduled<T> | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest event. */
  pop(): Scheduled<T> | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** The queue as data, in pop order. */
  state(): EventQueueState<T> {
    const entries = [...this.heap].sort(compare);
    return { entries, nextOrder: this.nextOrder };
  }

  private push(entry: Scheduled<T>): void {
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(this.at(i), this.at(parent)) >= 0) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && compare(this.at(left), this.at(smallest)) < 0) smallest = left;
      if (right < this.heap.length && compare(this.at(right), this.at(smallest)) < 0)
        smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private at(i: number): Scheduled<T> {
    return this.heap[i] as Scheduled<T>;
  }

  private swap(a: number, b: number): void {
    const tmp = this.at(a);
    this.heap[a] = this.at(b);
    this.heap[b] = tmp;
  }
}

function compare<T>(a: Scheduled<T>, b: Scheduled<T>): number {
  return a.at - b.at || a.order - b.order;
}
