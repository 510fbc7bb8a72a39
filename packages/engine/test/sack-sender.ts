/**
 * A SACK sender under test with the peer played by hand, numbered as packetdrill numbers a
 * connection: both ISNs are 0, so our first data byte is 1 and the peer's ACKs read `ack 1001`.
 * The handshake takes `rttMs`, which gives the first RTT sample (SRTT, RACK.min_RTT); the peer
 * announces MSS 1000, so segments carry 1000 bytes. Replies are tcpdump lines with the time
 * they left (ms from the start), and the label the engine gave them if any.
 */
import type { EndpointOptions } from '../src/tcp/options.js';
import type { SackBlock } from '../src/wire/options.js';
import { seq } from '../src/wire/seq.js';
import type { Lone } from './lone.js';
import { synSent } from './lone.js';

export const MSS = 1000;

export class SackSender {
  private seen = 0;

  constructor(readonly t: Lone) {}

  get connection() {
    return this.t.sim.connection(this.t.id);
  }

  /** The application writes `bytes` bytes; what that sends is in `sent()`. */
  write(bytes: number): this {
    this.t.sim.sendData(this.t.id, new Uint8Array(bytes));
    return this;
  }

  /** The peer's ACK of `ack` with SACK blocks [left, right) (the first is the D-SACK, if any). */
  ack(ack: number, sacks: [number, number][] = [], window = 65535): this {
    const sack: SackBlock[] = sacks.map(([left, right]) => ({
      left: seq(left),
      right: seq(right),
    }));
    this.t.send({
      flags: '.',
      seq: 1,
      ack,
      window,
      options: sack.length > 0 ? { sack } : {},
    });
    return this;
  }

  wait(ms: number): this {
    this.t.wait(ms);
    return this;
  }

  /** The segments sent since the last call: `time flags range [label]`, data only by default. */
  sent(all = false): string[] {
    this.t.replies();
    const fresh = this.t.trace.slice(this.seen);
    this.seen = this.t.trace.length;
    return fresh.flatMap((e) => {
      if (e.kind !== 'segment' || e.endpointId !== this.t.id) return [];
      if (!all && e.len === 0 && !e.flags.includes('F')) return [];
      const range = `${e.seq}:${(e.seq + e.len) % 0x1_0000_0000}(${e.len})`;
      return [
        `${e.timeUs / 1000} ${e.flags} ${range}${e.label === undefined ? '' : ` ${e.label}`}`,
      ];
    });
  }

  /** Timer events since the start: `time kind action [expires]`. */
  timers(kind?: string): string[] {
    this.t.replies();
    return this.t.trace.flatMap((e) =>
      e.kind === 'timer' && e.endpointId === this.t.id && (kind === undefined || e.timer === kind)
        ? [
            `${e.timeUs / 1000} ${e.timer} ${e.action}${e.expiresUs === undefined ? '' : ` ${e.expiresUs / 1000}`}`,
          ]
        : [],
    );
  }

  /** Congestion phase changes since the start: `time from -> to (cause)`. */
  phases(): string[] {
    this.t.replies();
    return this.t.trace.flatMap((e) =>
      e.kind === 'congestion' && e.endpointId === this.t.id
        ? [`${e.timeUs / 1000} ${e.from} -> ${e.to} (${e.cause})`]
        : [],
    );
  }

  get cwnd(): number {
    return this.connection.congestion.cwnd;
  }

  get ssthresh(): number {
    return this.connection.congestion.ssthresh;
  }
}

/**
 * An ESTABLISHED sender (active open at time 0, SYN-ACK after `rttMs`): SACK, no Nagle, IW10,
 * MSS 1000, every ACK at once, and `options` on top.
 */
export function sackSender(
  options: Partial<EndpointOptions> = {},
  { rttMs = 100, window = 65535 }: { rttMs?: number; window?: number } = {},
): SackSender {
  const t = synSent({
    isn: 0,
    sack: true,
    nagle: false,
    initialWindow: 10,
    congestion: 'newreno',
    sndBuffer: 1 << 20,
    ...options,
  });
  t.wait(rttMs);
  t.send({ flags: 'S.', seq: 0, ack: 1, window, options: { mss: MSS, sackOk: true } });
  t.replies();
  const sender = new SackSender(t);
  sender.sent(true);
  return sender;
}
