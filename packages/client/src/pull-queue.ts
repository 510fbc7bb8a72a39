/**
 * A queue between a producer that pushes (socket.io handlers) and a consumer that pulls (an
 * async iterator's `next()`). It does not bound itself: the producer watches `size` and stops
 * producing; `onTaken` tells it each time the consumer has taken an item, so it can start again.
 */
export class PullQueue<T> {
  private items: T[] = [];
  /** Index of the next item to take: shifting a long array on every take would copy it. */
  private head = 0;
  private readonly waiting: {
    resolve: (result: IteratorResult<T, undefined>) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private ended = false;
  /** An error to throw once the queued items are taken (undefined: end normally). */
  private failure: Error | undefined;

  constructor(private readonly onTaken: (size: number) => void = () => undefined) {}

  /** Items waiting to be taken. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Adds an item for the consumer; ignored once the queue has ended. */
  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiting.shift();
    if (waiter !== undefined) waiter.resolve({ done: false, value: item });
    else this.items.push(item);
  }

  /** Ends the queue: the items still queued are taken first, then `error` is thrown, if any. */
  end(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    if (this.size === 0) this.settleWaiters();
  }

  /** Ends the queue now: queued items are dropped; `error`, if any, is thrown to the consumer. */
  discard(error?: Error): void {
    this.items = [];
    this.head = 0;
    if (this.ended) {
      this.failure = error ?? this.failure;
    } else {
      this.ended = true;
      this.failure = error;
    }
    this.settleWaiters();
  }

  /** The next item; waits for one; done once the queue has ended and is empty. */
  take(): Promise<IteratorResult<T, undefined>> {
    if (this.size > 0) {
      const item = this.items[this.head] as T;
      this.head += 1;
      this.compact();
      this.onTaken(this.size);
      return Promise.resolve({ done: false, value: item });
    }
    if (this.ended) return this.settled();
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** What a take gets after the end: the error once, then done. */
  private settled(): Promise<IteratorResult<T, undefined>> {
    const failure = this.failure;
    this.failure = undefined;
    return failure === undefined
      ? Promise.resolve({ done: true, value: undefined })
      : Promise.reject(failure);
  }

  private settleWaiters(): void {
    for (const waiter of this.waiting.splice(0)) {
      this.settled().then(waiter.resolve, waiter.reject);
    }
  }

  /** Drops the taken items from the front once they are half of the array. */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
