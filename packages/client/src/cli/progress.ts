/**
 * The progress line of a long run, on stderr: rewritten in place on a terminal; elsewhere (a CI
 * log) a line at most every few seconds, so that a long transfer shows it is still going.
 */
import type { Progress } from '../scenario/run.js';

const QUIET_MS = 2000;

export class ProgressLine {
  private shown = false;
  private lastPrinted = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  /** A scenario starts: `position` of `total` (the files of one run). */
  start(): void {
    this.lastPrinted = this.now();
  }

  update(position: number, total: number, p: Progress): void {
    const text = `[${position}/${total}] ${p.scenario}: step ${p.step}/${p.steps} ${p.text}`;
    if (this.stream.isTTY) {
      const width = this.stream.columns ?? 80;
      this.stream.write(`\r\x1b[K${text.slice(0, width - 1)}`);
      this.shown = true;
    } else if (this.now() - this.lastPrinted >= QUIET_MS) {
      this.stream.write(`${text}\n`);
      this.lastPrinted = this.now();
    }
  }

  /** Clears the line before a result is printed. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
