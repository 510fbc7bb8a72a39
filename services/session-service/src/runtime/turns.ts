/**
 * Long work that runs beside the requests (clock moves, the encoding of their traces) takes
 * turns: a task does a slice of a few milliseconds, then asks for its next turn, and each turn
 * of the event loop runs at most one such slice, the tasks in the order they asked. Between two
 * slices the event loop reads sockets and answers requests, so a request waits for one slice
 * at most, however many sessions are moving (with every task on its own `setImmediate`, one
 * turn ran a slice of each of them, and a request needing a few turns waited for all of them
 * each time). When nothing else is waiting, the loop's turns come back at once and the slices
 * follow one another.
 */
export class Turns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves in a later turn of the event loop, once the tasks that asked before had theirs. */
  readonly next = (): Promise<void> =>
    new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // The woken task's slice runs right after this callback; the next turn is asked now, so
      // it comes after the event loop has been round (setImmediate from inside an immediate
      // runs in the loop's next turn).
      this.waiting.shift()?.();
      this.schedule();
    });
  }
}
