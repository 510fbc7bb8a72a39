// Slow-start exit heuristics: Linux's HyStart (net/ipv4/tcp_cubic.c, hystart_update) and
// RFC 9406's HyStart++. The endpoint under test is the server of a packetdrill script: the
// peer is played by hand, its ACKs injected at the scripts' times, so each RTT sample is
// exactly the one Linux's scripts make.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.js';
import {
  INITIAL_SSTHRESH,
  type CongestionState,
  type SlowStartExit,
} from '../src/tcp/congestion/index.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import { deliveryOf, SentSegments } from '../src/tcp/sent-segments.js';
import type { SackBlock } from '../src/wire/options.js';
import { seq } from '../src/wire/seq.js';
import { ISS, LOCAL, Lone, PEER_ISS, synReceived } from './lone.js';

const MSS = 1000;
/** Linux's cwnd accounting, as the linux profile has it with HyStart. */
const LINUX_ACCOUNTING: Partial<EndpointOptions> = { cwndAccounting: 'linux' };

/**
 * `< S 0:0(0) <mss 1000>`, `> S.`, then `+handshakeMs < . 1:1(0) ack 1`: the accepted
 * endpoint, CUBIC with Linux's initial window unless `options` say otherwise.
 */
function accepted(
  slowStartExit: SlowStartExit,
  handshakeMs: number,
  options: Partial<EndpointOptions> = {},
): Lone {
  const t = synReceived(
    { congestion: 'cubic', initialWindow: 10, sndBuffer: 1 << 20, slowStartExit, ...options },
    { mss: MSS },
  );
  t.wait(handshakeMs);
  t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 1 });
  t.replies();
  return t;
}

function write(t: Lone, bytes: number): void {
  t.sim.sendData(t.id, new Uint8Array(bytes));
}

/** The peer's `< . 1:1(0) ack rel`, with rel counted from the first data octet (1). */
function ack(t: Lone, rel: number): void {
  t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + rel });
}

function cc(t: Lone): CongestionState {
  return t.sim.connection(t.id).congestion.state();
}

const read = new WeakMap<Lone, number>();

/** The data segments sent since the last call: relative start and end, and when (µs). */
function dataSegments(t: Lone): { start: number; end: number; atUs: number }[] {
  t.replies();
  const from = read.get(t) ?? 0;
  read.set(t, t.trace.length);
  return t.trace
    .slice(from)
    .flatMap((e) =>
      e.kind === 'segment' && e.src.address === LOCAL.address && e.len > 0
        ? [{ start: e.seq - ISS, end: e.seq - ISS + e.len, atUs: e.timeUs }]
        : [],
    );
}

/** The same as packetdrill writes them, contiguous segments sent at once merged: '1:10001'. */
function sent(t: Lone): string[] {
  const out: { start: number; end: number; atUs: number }[] = [];
  for (const s of dataSegments(t)) {
    const last = out[out.length - 1];
    if (last !== undefined && last.end === s.start && last.atUs === s.atUs) last.end = s.end;
    else out.push({ ...s });
  }
  return out.map((s) => `${s.start}:${s.end}`);
}

/** ACKs a path has yet to deliver: when, and up to where. */
interface InFlight {
  queue: { atUs: number; end: number }[];
  lastUs: number;
}

/**
 * The peer as a path whose round-trip time for the segment ending at `end` is `rttMs(end)`:
 * it acknowledges each data segment on its own, in order, that long after it left, until
 * `lastRel` is acknowledged. `look` sees the congestion state before and after each ACK.
 * Returns the ACKs still to come, for a later call to go on with.
 */
function playPath(
  t: Lone,
  rttMs: (end: number) => number,
  lastRel: number,
  look: (end: number, before: CongestionState, after: CongestionState) => void = () => {},
  inFlight: InFlight = { queue: [], lastUs: t.sim.nowUs },
): InFlight {
  const take = () => {
    for (const s of dataSegments(t)) {
      inFlight.lastUs = Math.max(inFlight.lastUs, s.atUs + rttMs(s.end) * 1000);
      inFlight.queue.push({ atUs: inFlight.lastUs, end: s.end });
    }
  };
  take();
  for (let next = inFlight.queue.shift(); next !== undefined; next = inFlight.queue.shift()) {
    t.wait((next.atUs - t.sim.nowUs) / 1000);
    const before = cc(t);
    ack(t, next.end);
    look(next.end, before, cc(t));
    take();
    if (next.end >= lastRel) break;
  }
  return inFlight;
}

describe('HyStart as in Linux (slowStartExit: hystart)', () => {
  // With Linux's accounting (`cwndAccounting: 'linux'`, as in the linux profile) the script's
  // `ack 10001` grows cwnd by the ten segments it acknowledges (tcp_slow_start), and each later
  // ACK of two segments by two: cwnd is what the scripts assert at every step.
  function firstFlight(t: Lone, rttMs: number): void {
    expect(sent(t)).toEqual(['1:10001']);
    t.wait(rttMs);
    ack(t, 10_001);
    expect(cc(t).cwnd).toBe(20 * MSS);
  }

  it('cubic-hystart-delay-rtt-jumps-upward: the 9th RTT sample of a round, all 12.5% over the minimum RTT, ends slow start with ssthresh = cwnd = 36', () => {
    const t = accepted('hystart', 200, LINUX_ACCOUNTING);
    write(t, 30_000);
    firstFlight(t, 200); // RTT 200 ms: the minimum; cwnd below 16, so no round yet
    expect(sent(t)).toEqual(['10001:30001']);
    t.wait(240);
    const seen: { ssthresh: number; cwnd: number; before: number }[] = [];
    for (let rel = 12_001; rel <= 30_001; rel += 2 * MSS) {
      const before = cc(t).cwnd;
      ack(t, rel); // RTT 240, 241, ... ms: the round's smallest is 240 > 200 + 16
      seen.push({ ssthresh: cc(t).ssthresh, cwnd: cc(t).cwnd, before });
      t.wait(1);
    }
    // The first ACK begins a round (its sample the first); eight samples, no check yet:
    // ssthresh keeps its initial value (the script asserts TCP_INFINITE_SSTHRESH).
    for (const s of seen.slice(0, 8)) expect(s.ssthresh).toBe(INITIAL_SSTHRESH);
    expect(seen.slice(0, 8).map((s) => s.cwnd / MSS)).toEqual([22, 24, 26, 28, 30, 32, 34, 36]);
    // The ninth (ack 28001): ssthresh = cwnd, as it was before this ACK, 36 and 36.
    expect(seen[8]?.before).toBe(36 * MSS);
    expect(seen[8]?.ssthresh).toBe(36 * MSS);
    expect(seen[8]?.cwnd).toBe(36 * MSS);
    // Congestion avoidance from there: CUBIC's first epoch leaves cwnd at 36 (ack 30001).
    expect(seen[9]?.ssthresh).toBe(36 * MSS);
    expect(seen[9]?.cwnd).toBe(36 * MSS);
    expect(cc(t).phase).toBe('congestion-avoidance');
    expect(cc(t).slowStartExit).toMatchObject({ found: true, exit: 'delay', delayMinUs: 200_000 });
    t.replies();
    const change = t.trace.filter((e) => e.kind === 'congestion');
    expect(change.map((e) => e.kind === 'congestion' && `${e.from} -> ${e.to}`)).toEqual([
      'slow-start -> congestion-avoidance',
    ]);
  });

  // HYSTART_DELAY_THRESH: an eighth of the minimum RTT, clamped to 4..16 ms; the round's
  // smallest RTT must be above minRTT + that (Linux compares with >).
  it.each([
    { minRtt: 200, roundRtt: 216, exits: false },
    { minRtt: 200, roundRtt: 217, exits: true }, // 25 ms clamped to 16
    { minRtt: 80, roundRtt: 90, exits: false },
    { minRtt: 80, roundRtt: 91, exits: true }, // 10 ms
    { minRtt: 10, roundRtt: 14, exits: false },
    { minRtt: 10, roundRtt: 15, exits: true }, // 1.25 ms raised to 4
  ])('delay threshold: minimum RTT $minRtt ms, round from $roundRtt ms: exit $exits', (row) => {
    const t = accepted('hystart', row.minRtt, LINUX_ACCOUNTING);
    write(t, 30_000);
    firstFlight(t, row.minRtt);
    t.wait(row.roundRtt);
    // ACKs 3 ms apart (no train): the round's samples are roundRtt, + 3 ms, + 6 ms...
    for (let rel = 12_001; rel <= 30_001; rel += 2 * MSS) {
      ack(t, rel);
      t.wait(3);
    }
    expect(cc(t).ssthresh !== INITIAL_SSTHRESH).toBe(row.exits);
  });

  it('cubic-hystart-delay-min-rtt-jumps-downward: a new minimum RTT on the 9th sample is taken into the check, and slow start goes on', () => {
    const t = accepted('hystart', 200, LINUX_ACCOUNTING);
    write(t, 28_000);
    firstFlight(t, 200);
    expect(sent(t)).toEqual(['10001:28001']);
    t.wait(180);
    write(t, 2000);
    expect(sent(t)).toEqual(['28001:30001']);
    t.wait(20);
    const cwnds: number[] = [];
    for (let rel = 12_001; rel <= 30_001; rel += 2 * MSS) {
      ack(t, rel); // RTT 200, 201, ... 208 ms, then 29 ms for the segments sent 20 ms before
      expect(cc(t).ssthresh).toBe(INITIAL_SSTHRESH);
      cwnds.push(cc(t).cwnd / MSS);
      t.wait(1);
    }
    expect(cwnds).toEqual([22, 24, 26, 28, 30, 32, 34, 36, 38, 40]);
    expect(cc(t).phase).toBe('slow-start');
    expect(cc(t).slowStartExit).toMatchObject({
      found: false,
      delayMinUs: 29_000,
      roundMinRttUs: 29_000,
      samples: 8,
    });
  });

  it('the same upward jump never ends slow start without a heuristic (slowStartExit: none)', () => {
    const t = accepted('none', 200, LINUX_ACCOUNTING);
    write(t, 30_000);
    firstFlight(t, 200);
    t.wait(240);
    for (let rel = 12_001; rel <= 30_001; rel += 2 * MSS) {
      ack(t, rel);
      t.wait(1);
    }
    expect(cc(t).ssthresh).toBe(INITIAL_SSTHRESH);
    expect(cc(t).cwnd).toBe(40 * MSS);
    expect(cc(t).slowStartExit).toBeUndefined();
  });

  it("with either accounting, the same ACKs end slow start on the same one, at the cwnd each grew to (RFC's 25, Linux's 40)", () => {
    // An initial window of 16 acknowledged at once begins a round at once; then one ACK per
    // segment, 1 ms apart, 240 ms after they left: the round's 9th sample ends slow start.
    const exit = (accounting: Partial<EndpointOptions>) => {
      const t = accepted('hystart', 200, { initialWindow: 16, ...accounting });
      write(t, 100_000);
      t.wait(200);
      ack(t, 16_001); // 200 ms: the minimum; a round begins, to end at 16001
      t.wait(240);
      for (let rel = 17_001; rel <= 40_001; rel += MSS) {
        const before = cc(t).cwnd;
        ack(t, rel);
        if (cc(t).ssthresh !== INITIAL_SSTHRESH) return { rel, before, ssthresh: cc(t).ssthresh };
        t.wait(1);
      }
      return undefined;
    };
    // The ACK of 17001 begins the next round; its 9th sample is the ACK of 25001.
    expect(exit({ cwndAccounting: 'rfc' })).toEqual({
      rel: 25_001,
      before: 25 * MSS,
      ssthresh: 25 * MSS,
    });
    expect(exit(LINUX_ACCOUNTING)).toEqual({ rel: 25_001, before: 40 * MSS, ssthresh: 40 * MSS });
  });

  it("slow-start-ack-per-1pkt: an ACK per segment, 5 ms apart in pairs, is no train; the segments are Linux's and cwnd reaches 20", () => {
    const t = accepted('hystart', 100);
    write(t, 30_000);
    expect(sent(t)).toEqual(['1:10001']);
    expect(cc(t).cwnd).toBe(10 * MSS);
    const replies: string[] = [];
    t.wait(105);
    for (let rel = 1001; rel <= 10_001; rel += MSS) {
      if (rel > 1001 && rel % 2000 === 1001) t.wait(5);
      ack(t, rel);
      replies.push(...sent(t));
    }
    expect(replies).toEqual([
      '10001:12001',
      '12001:14001',
      '14001:16001',
      '16001:18001',
      '18001:20001',
      '20001:22001',
      '22001:24001',
      '24001:26001',
      '26001:28001',
      '28001:30001',
    ]);
    expect(cc(t).cwnd).toBe(20 * MSS);
    expect(cc(t).ssthresh).toBe(INITIAL_SSTHRESH);
  });

  it('ACK train: ACKs at most 2 ms apart for longer than half the minimum RTT (plus 1 ms for offload) end slow start', () => {
    const t = accepted('hystart', 10, LINUX_ACCOUNTING);
    write(t, 200_000);
    firstFlight(t, 10); // the minimum RTT: 10 ms
    t.wait(10);
    // The second flight, 20 segments sent together, acknowledged one by one 0.5 ms apart: the
    // train lasts longer than (10 ms + 1 ms of offload allowance) / 2 on the 13th ACK, 6 ms
    // into the round (hystart_ack_delay allows 1 ms at this rate: 20 segments per 10 ms).
    const at: { rel: number; before: number; ssthresh: number }[] = [];
    for (let rel = 11_001; rel <= 30_001; rel += MSS) {
      const before = cc(t).cwnd;
      ack(t, rel);
      at.push({ rel, before, ssthresh: cc(t).ssthresh });
      t.wait(0.5);
    }
    const exit = at.find((a) => a.ssthresh !== INITIAL_SSTHRESH);
    expect(exit?.rel).toBe(23_001);
    expect(exit?.before).toBe(32 * MSS);
    expect(exit?.ssthresh).toBe(32 * MSS);
    expect(cc(t).slowStartExit).toMatchObject({ exit: 'ack-train', delayMinUs: 10_000 });
  });

  it('ACKs 3 ms apart make no train, and slow start goes on', () => {
    const t = accepted('hystart', 20, LINUX_ACCOUNTING);
    write(t, 200_000);
    firstFlight(t, 20);
    t.wait(20);
    for (let rel = 11_001; rel <= 30_001; rel += MSS) {
      ack(t, rel);
      t.wait(3);
    }
    expect(cc(t).ssthresh).toBe(INITIAL_SSTHRESH);
    expect(cc(t).cwnd).toBe(40 * MSS);
  });

  it('below 16 segments of cwnd there is no detection: from an initial window of 10 the round, and its train, begin only when cwnd reaches 16', () => {
    // The first flight acknowledged one segment at a time, 1 ms apart, after an RTT of 4 ms:
    // the train passes (4 ms + 1 ms) / 2 on the 4th ACK.
    const train = (initialWindow: number) => {
      const t = accepted('hystart', 4, { initialWindow });
      write(t, 100_000);
      t.wait(4);
      const ssthresh: number[] = [];
      for (let n = 1; n <= initialWindow; n++) {
        ack(t, 1 + n * MSS);
        ssthresh.push(cc(t).ssthresh);
        t.wait(1);
      }
      return ssthresh;
    };
    const from16 = train(16);
    expect(from16.findIndex((s) => s !== INITIAL_SSTHRESH)).toBe(3);
    expect(from16[3]).toBe(19 * MSS);
    // From 10, cwnd reaches 16 on the 7th ACK, 6 ms after the first: the round begins there
    // (cubictcp_acked calls hystart_update from hystart_low_window on), and its train passes
    // 2.5 ms on the 10th ACK, at the same cwnd of 19.
    const from10 = train(10);
    expect(from10.findIndex((s) => s !== INITIAL_SSTHRESH)).toBe(9);
    expect(from10[9]).toBe(19 * MSS);
  });

  it('each round counts its samples afresh: 8 delayed samples in one round and 8 in the next are no exit', () => {
    const t = accepted('hystart', 200, LINUX_ACCOUNTING);
    write(t, 26_000);
    firstFlight(t, 200);
    expect(sent(t)).toEqual(['10001:26001']);
    t.wait(240);
    for (let rel = 12_001; rel <= 26_001; rel += 2 * MSS) {
      ack(t, rel); // the round's 8 samples, RTT 240 ms and more
      t.wait(1);
    }
    expect(cc(t).slowStartExit).toMatchObject({ samples: 8, roundEnd: ISS + 26_001 });
    write(t, 16_000);
    expect(sent(t)).toEqual(['26001:42001']);
    t.wait(240);
    // The first ACK past the round's end begins another, to end at what has been sent
    // (Linux: end_seq = snd_nxt), and its count starts at 1.
    const samples: unknown[] = [];
    for (let rel = 28_001; rel <= 42_001; rel += 2 * MSS) {
      ack(t, rel); // RTT 240 ms and more again
      const h = cc(t).slowStartExit;
      samples.push(h?.kind === 'hystart' && h.samples);
      expect(cc(t).ssthresh).toBe(INITIAL_SSTHRESH);
      t.wait(1);
    }
    expect(samples).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(cc(t).slowStartExit).toMatchObject({ roundEnd: ISS + 42_001, found: false });
    expect(cc(t).phase).toBe('slow-start');
  });

  it('a retransmission timeout starts HyStart afresh, the minimum RTT forgotten', () => {
    const t = accepted('hystart', 200, LINUX_ACCOUNTING);
    write(t, 30_000);
    firstFlight(t, 200);
    expect(cc(t).slowStartExit).toMatchObject({ delayMinUs: 200_000 });
    t.wait(1000); // RTO: 1 s
    expect(cc(t).phase).toBe('loss-recovery');
    expect(cc(t).slowStartExit).toMatchObject({
      found: false,
      delayMinUs: undefined,
      roundEnd: ISS + 30_001,
      samples: 0,
    });
  });
});

describe('HyStart++ (RFC 9406; slowStartExit: hystart++)', () => {
  /** NewReno: HyStart++ serves any controller. The first flight comes back after 20 ms. */
  function started(): Lone {
    const t = accepted('hystart++', 20, { congestion: 'newreno' });
    write(t, 500_000);
    return t;
  }

  /** RTT 20 ms for the first flight (the first round), then 25 ms. */
  const rising = (end: number): number => (end <= 10_001 ? 20 : 25);

  it('in slow start an ACK adds min(N, L*SMSS) with L = 8 (§4.2, §4.3: the engine does not pace)', () => {
    const t = started();
    t.wait(20);
    ack(t, 10_001);
    expect(cc(t).cwnd).toBe(18 * MSS);
    const plain = accepted('none', 20, { congestion: 'newreno' });
    write(plain, 500_000);
    plain.wait(20);
    ack(plain, 10_001);
    expect(cc(plain).cwnd).toBe(11 * MSS); // RFC 5681 §3.1 equation (2)
  });

  it('8 samples of a round at lastRoundMinRTT + RttThresh or more: Conservative Slow Start, cwnd grows by a quarter', () => {
    const t = started();
    const growth: { end: number; by: number; phase: string }[] = [];
    // Round 1 at 20 ms, round 2 at 25 ms: RttThresh = max(4, min(20 / 8, 16)) = 4 ms, and
    // the round's 8th sample enters CSS.
    playPath(t, rising, 40_001, (end, before, after) =>
      growth.push({ end, by: after.cwnd - before.cwnd, phase: after.phase }),
    );
    const entry = growth.findIndex((g) => g.phase === 'conservative-slow-start');
    expect(growth[entry]?.end).toBe(18_001);
    // The ACK that enters CSS still grew by a whole segment (the increase comes first in §4.2);
    // every ACK after it by a quarter: 250 octets.
    expect(growth[entry]?.by).toBe(MSS);
    expect(growth.slice(entry + 1).map((g) => g.by)).toEqual(Array(22).fill(MSS / 4));
    expect(growth.slice(0, entry).every((g) => g.by === MSS && g.phase === 'slow-start')).toBe(
      true,
    );
    expect(cc(t).ssthresh).toBe(INITIAL_SSTHRESH);
    const h = cc(t).slowStartExit;
    expect(h).toMatchObject({ kind: 'hystart++', cssBaselineMinRttUs: 25_000 });
    const change = t.trace.filter((e) => e.kind === 'congestion');
    expect(change.map((e) => e.kind === 'congestion' && `${e.from} -> ${e.to}`)).toEqual([
      'slow-start -> conservative-slow-start',
    ]);
  });

  // RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH)),
  // and CSS begins when currentRoundMinRTT >= lastRoundMinRTT + RttThresh (§4.2).
  it.each([
    { last: 20, current: 23, css: false },
    { last: 20, current: 24, css: true }, // 2.5 ms raised to 4
    { last: 80, current: 89, css: false },
    { last: 80, current: 90, css: true }, // 10 ms
    { last: 200, current: 215, css: false },
    { last: 200, current: 216, css: true }, // 25 ms clamped to 16
  ])('RttThresh: last round $last ms, this round $current ms: CSS $css', (row) => {
    const t = accepted('hystart++', row.last, { congestion: 'newreno' });
    write(t, 500_000);
    const phases = new Set<string>();
    playPath(
      t,
      (end) => (end <= 10_001 ? row.last : row.current),
      28_001,
      (_e, _b, after) => phases.add(after.phase),
    );
    expect(phases.has('conservative-slow-start')).toBe(row.css);
  });

  it('in CSS, a round whose minimum RTT falls below the baseline sends it back to slow start', () => {
    const t = started();
    let cssAt = 0;
    const growth: { end: number; by: number; phase: string }[] = [];
    playPath(
      t,
      (end) => (cssAt > 0 && end > cssAt + 20 * MSS ? 20 : rising(end)),
      120_001,
      (end, before, after) => {
        if (cssAt === 0 && after.phase === 'conservative-slow-start') cssAt = end;
        growth.push({ end, by: after.cwnd - before.cwnd, phase: after.phase });
      },
    );
    const phases = t.trace.flatMap((e) => (e.kind === 'congestion' ? [e.to] : []));
    expect(phases).toEqual(['conservative-slow-start', 'slow-start']);
    const back = growth.findIndex(
      (g, i) => g.phase === 'slow-start' && growth[i - 1]?.phase === 'conservative-slow-start',
    );
    expect(growth[back]?.by).toBe(MSS / 4); // the ACK that ends CSS grew at its rate
    expect(growth[back + 1]?.by).toBe(MSS); // then slow start again
    expect(cc(t).slowStartExit).toMatchObject({ cssBaselineMinRttUs: undefined });
    expect(cc(t).ssthresh).toBe(INITIAL_SSTHRESH);
  });

  it('after CSS_ROUNDS rounds of CSS (the partial first one counted), ssthresh = cwnd and congestion avoidance', () => {
    const t = started();
    const rounds: number[] = [];
    let exit: { before: CongestionState; after: CongestionState } | undefined;
    playPath(t, rising, 400_001, (_end, before, after) => {
      const h = after.slowStartExit;
      if (h?.kind === 'hystart++' && h.cssRounds !== rounds[rounds.length - 1])
        rounds.push(h.cssRounds);
      if (exit === undefined && after.ssthresh !== INITIAL_SSTHRESH) exit = { before, after };
    });
    expect(rounds).toEqual([0, 1, 2, 3, 4, 5]);
    expect(exit?.after.ssthresh).toBe(exit?.after.cwnd);
    expect(exit?.after.cwnd).toBe((exit?.before.cwnd ?? 0) + MSS / 4);
    expect(exit?.after.phase).toBe('congestion-avoidance');
    const phases = t.trace.flatMap((e) => (e.kind === 'congestion' ? [e.to] : []));
    expect(phases).toEqual(['conservative-slow-start', 'congestion-avoidance']);
  });

  it('with Linux accounting, in packets: at most L = 8 per ACK, and in CSS one packet per 4 delivered', () => {
    const linux = () => {
      const t = accepted('hystart++', 20, { congestion: 'newreno', ...LINUX_ACCOUNTING });
      write(t, 500_000);
      return t;
    };
    const capped = linux();
    capped.wait(20);
    ack(capped, 10_001); // ten packets delivered: 8 count (Linux alone would add all 10)
    expect(cc(capped).cwnd).toBe(18 * MSS);
    const t = linux();
    const growth: { by: number; phase: string }[] = [];
    playPath(t, rising, 60_001, (_end, before, after) =>
      growth.push({ by: after.cwnd - before.cwnd, phase: after.phase }),
    );
    const entry = growth.findIndex((g) => g.phase === 'conservative-slow-start');
    expect(entry).toBeGreaterThan(0);
    expect(growth.slice(0, entry + 1).every((g) => g.by === MSS)).toBe(true);
    // Whole packets only: a quarter of each ACK's packet, counted in snd_cwnd_cnt.
    expect(growth.slice(entry + 1, entry + 9).map((g) => g.by / MSS)).toEqual([
      0, 0, 0, 1, 0, 0, 0, 1,
    ]);
    expect(cc(t).cwnd % MSS).toBe(0);
  });

  it("only the initial slow start: after a timeout, slow start is RFC 5681's", () => {
    const t = started();
    t.wait(20);
    ack(t, 10_001);
    t.wait(1000);
    expect(cc(t).phase).toBe('loss-recovery');
    t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 12_001 }); // 2 segments after the RTO
    expect(cc(t).cwnd).toBe(2 * MSS); // 1 SMSS + min(N, SMSS)
  });
});

describe('snapshots', () => {
  /** Runs `rest` on the endpoint, and on a copy restored from a JSON snapshot taken first. */
  function bothWays(t: Lone, rest: (t: Lone) => void): [unknown, unknown] {
    t.replies();
    const snapshot = JSON.parse(JSON.stringify(t.sim.snapshot())) as ReturnType<
      Simulation['snapshot']
    >;
    const copy = new Lone(Simulation.restore(snapshot), t.id);
    const runs = [t, copy].map((x) => {
      const from = x.trace.length;
      rest(x);
      x.replies();
      return JSON.parse(JSON.stringify({ trace: x.trace.slice(from), state: cc(x) })) as unknown;
    });
    return [runs[0], runs[1]];
  }

  it('HyStart restored in the middle of a round exits on the same ACK', () => {
    const t = accepted('hystart', 200, LINUX_ACCOUNTING);
    write(t, 30_000);
    t.wait(200);
    ack(t, 10_001);
    t.wait(240);
    for (let rel = 12_001; rel <= 20_001; rel += 2 * MSS) {
      ack(t, rel);
      t.wait(1);
    }
    expect(cc(t).slowStartExit).toMatchObject({ samples: 5, found: false });
    const [original, restored] = bothWays(t, (x) => {
      for (let rel = 22_001; rel <= 30_001; rel += 2 * MSS) {
        ack(x, rel);
        x.wait(1);
      }
      expect(cc(x).ssthresh).toBe(36 * MSS);
    });
    expect(restored).toEqual(original);
  });

  it('HyStart++ restored in Conservative Slow Start goes on as the original', () => {
    const t = accepted('hystart++', 20, { congestion: 'newreno' });
    write(t, 500_000);
    const path = (end: number) => (end <= 10_001 ? 20 : 25);
    const inFlight = playPath(t, path, 40_001);
    expect(cc(t).phase).toBe('conservative-slow-start');
    const [original, restored] = bothWays(t, (x) =>
      playPath(x, path, 200_001, undefined, structuredClone(inFlight)),
    );
    expect(restored).toEqual(original);
    expect(original).toMatchObject({ state: { phase: 'congestion-avoidance' } });
  });

  it('a snapshot from before the option existed restores, without a heuristic', () => {
    const t = accepted('none', 20);
    write(t, 30_000);
    t.replies();
    const snapshot = t.sim.snapshot();
    for (const c of snapshot.connections) {
      delete c.sendTimes;
      delete (c.options as Partial<EndpointOptions>).slowStartExit;
    }
    const old = new Lone(Simulation.restore(snapshot), t.id);
    for (const x of [t, old]) {
      x.wait(20);
      for (let rel = 1001; rel <= 10_001; rel += MSS) ack(x, rel);
    }
    expect(cc(old)).toEqual(cc(t));
    expect(cc(old).slowStartExit).toBeUndefined();
    expect(sent(old)).toEqual(['10001:30001']);
  });
});

describe('per-ACK RTT samples (Linux ca_rtt_us, from the record of segments in flight)', () => {
  const s = (n: number) => seq(n);
  /** Sends [start, end) at `atUs`, one transmission more. */
  let order = 0;
  const send = (out: SentSegments, start: number, end: number, atUs: number) =>
    out.sent(s(start), s(end), atUs, ++order);
  /** An ACK of `una` with SACK `blocks`, at `nowUs`: what congestion control reads of it. */
  const ackOf = (out: SentSegments, una: number, nowUs: number, blocks: SackBlock[] = []) =>
    deliveryOf(out.take(blocks, s(una)), nowUs);

  it('an ACK measures from when the highest segment it acknowledges in full left; none for what was resent (Karn)', () => {
    const out = new SentSegments();
    send(out, 1, 1001, 0);
    send(out, 1001, 2001, 0);
    send(out, 2001, 3001, 5000);
    send(out, 3001, 4001, 7000);
    send(out, 4001, 5001, 8000);
    expect(ackOf(out, 1, 20_000)).toEqual({ packets: 0, rttUs: undefined }); // nothing new
    // A segment acknowledged in part gives nothing yet (tcp_clean_rtx_queue stops there).
    expect(ackOf(out, 2500, 20_000)).toEqual({ packets: 2, rttUs: 20_000 });
    send(out, 2500, 3001, 9000); // the rest of the segment ACKed in part, sent again
    expect(ackOf(out, 4001, 30_000)).toEqual({ packets: 2, rttUs: undefined }); // Karn
    expect(ackOf(out, 5001, 30_000)).toEqual({ packets: 1, rttUs: 22_000 });
  });

  it('a newly SACKed segment gives the sample, even when the cumulative part was resent', () => {
    const out = new SentSegments();
    for (let i = 0; i < 4; i++) send(out, 1 + 1000 * i, 1001 + 1000 * i, 1000 * i);
    send(out, 1, 1001, 10_000); // resent
    // SACKs 2001:3001 (sent at 2 ms) and 3001:4001 (3 ms): the highest gives the sample.
    const blocks = [{ left: s(2001), right: s(4001) }];
    expect(ackOf(out, 1001, 20_000, blocks)).toEqual({ packets: 3, rttUs: 17_000 });
    // The cumulative ACK over them later delivers only 1001:2001, sent once, at 1 ms.
    expect(ackOf(out, 4001, 30_000, blocks)).toEqual({ packets: 1, rttUs: 29_000 });
  });

  it('the stretches of snapshots from before loss recovery kept the record restore as records', () => {
    const out = SentSegments.from([
      { start: 1, end: 2001, sentUs: 0, resent: false },
      { start: 2001, end: 3001, sentUs: 5000, resent: true },
    ]);
    expect(out.toState()).toMatchObject([
      { start: 1, end: 2001, xmitUs: 0, everRetransmitted: false, sacked: false },
      { start: 2001, end: 3001, xmitUs: 5000, everRetransmitted: true, sacked: false },
    ]);
    expect(ackOf(out, 2001, 20_000)).toEqual({ packets: 1, rttUs: 20_000 });
    expect(ackOf(out, 3001, 20_000)).toEqual({ packets: 1, rttUs: undefined });
  });

  it('the default options keep no send times', () => {
    const t = accepted('none', 20);
    write(t, 10_000);
    t.wait(20);
    expect(t.sim.connection(t.id).toState().sendTimes).toEqual([]);
  });
});
