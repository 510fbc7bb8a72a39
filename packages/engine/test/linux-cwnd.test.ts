// cwnd counted as Linux counts it (`cwndAccounting: 'linux'`), checked against Linux's own
// packetdrill scripts (packages/client/test/packetdrill-linux): the same segments arrive at the
// same times, and cwnd in packets (cwnd / SMSS) is what the scripts assert of tcpi_snd_cwnd.
// The peer is played by hand; its SYN offers MSS 1000, as the scripts' do, so SMSS = 1000.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.js';
import { createController } from '../src/tcp/congestion/index.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import { deliveryOf, SentSegments } from '../src/tcp/sent-segments.js';
import type { SackBlock } from '../src/wire/options.js';
import { seq } from '../src/wire/seq.js';
import { ISS, Lone, PEER_ISS, synReceived } from './lone.js';

const SMSS = 1000;

/** Linux's defaults as packetdrill's defaults.sh leaves them, with Linux's cwnd accounting. */
const LINUX: Partial<EndpointOptions> = {
  cwndAccounting: 'linux',
  congestion: 'cubic',
  initialWindow: 10,
  sack: true,
  windowScale: 8,
  rtoMinMs: 200,
  sndBuffer: 1 << 21,
  slowStartAfterIdle: false,
};

/**
 * A script's endpoint after `accept()`: `< S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,
 * wscale 7>`, our SYN,ACK, and 100 ms later the peer's ACK with window `win` << `wscale`.
 */
function accepted(options: Partial<EndpointOptions> = {}, win = 257, wscale = 7): Lone {
  const t = synReceived({ ...LINUX, ...options }, { mss: 1000, sackOk: true, wscale });
  t.wait(100);
  t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 1, window: win });
  t.replies();
  return t;
}

/** cwnd in packets: what the scripts read as tcpi_snd_cwnd. */
function cwnd(t: Lone): number {
  return t.sim.connection(t.id).congestion.cwnd / SMSS;
}

function ssthresh(t: Lone): number {
  return t.sim.connection(t.id).congestion.ssthresh / SMSS;
}

/**
 * The data segments sent since the last look, in the scripts' relative sequence numbers, one
 * range for a run of back-to-back segments (as Linux's TSO sends them): `10001:12001(2000)`.
 */
function sent(t: Lone): string[] {
  const ranges: [number, number][] = [];
  for (const line of t.replies()) {
    const m = /^\S+ (\d+):(\d+)\((\d+)\)/.exec(line);
    if (m === null || m[3] === '0') continue;
    const start = Number(m[1]) - ISS;
    const end = Number(m[2]) - ISS;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] === start) last[1] = end;
    else ranges.push([start, end]);
  }
  return ranges.map(([a, b]) => `${a}:${b}(${b - a})`);
}

/** The application writes `bytes`; returns what leaves at once. */
function write(t: Lone, bytes: number): string[] {
  t.sim.sendData(t.id, new Uint8Array(bytes));
  return sent(t);
}

/** `+ms < . 1:1(0) ack n win w`: the peer acknowledges up to relative sequence number `n`. */
function ack(t: Lone, ms: number, n: number, win = 257): string[] {
  t.wait(ms);
  t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + n, window: win });
  return sent(t);
}

describe('slow start, cwnd-limited (slow_start/slow-start-ack-per-*.pkt)', () => {
  it('ack-per-1pkt: each ACK of one packet adds one and releases two; cwnd 20 after 10', () => {
    const t = accepted();
    expect(write(t, 30000)).toEqual(['1:10001(10000)']);
    expect(cwnd(t)).toBe(10);
    const waits = [105, 0, 5, 0, 5, 0, 5, 0, 5, 0];
    waits.forEach((ms, i) => {
      const start = 10001 + 2000 * i;
      expect(ack(t, ms, 1001 + 1000 * i)).toEqual([`${start}:${start + 2000}(2000)`]);
      expect(cwnd(t)).toBe(11 + i);
    });
    expect(cwnd(t)).toBe(20);
  });

  it('ack-per-2pkt: every packet an ACK delivers counts (no L = 1 limit); cwnd 20 after 5', () => {
    const t = accepted();
    expect(write(t, 30000)).toEqual(['1:10001(10000)']);
    const waits = [105, 5, 5, 5, 5];
    waits.forEach((ms, i) => {
      const start = 10001 + 4000 * i;
      expect(ack(t, ms, 2001 + 2000 * i)).toEqual([`${start}:${start + 4000}(4000)`]);
      expect(cwnd(t)).toBe(12 + 2 * i);
    });
    expect(cwnd(t)).toBe(20);
  });

  it('ack-per-4pkt: four packets per ACK, cwnd 14, 18, 20', () => {
    const t = accepted();
    expect(write(t, 30000)).toEqual(['1:10001(10000)']);
    expect(ack(t, 110, 4001)).toEqual(['10001:18001(8000)']);
    expect(cwnd(t)).toBe(14);
    expect(ack(t, 10, 8001)).toEqual(['18001:26001(8000)']);
    expect(cwnd(t)).toBe(18);
    expect(ack(t, 5, 10001)).toEqual(['26001:30001(4000)']);
    expect(cwnd(t)).toBe(20);
  });

  it("with the RFC's accounting the same ACKs add one SMSS each (RFC 5681 §3.1, L = 1)", () => {
    const t = accepted({ cwndAccounting: 'rfc' });
    write(t, 30000);
    expect(ack(t, 105, 2001)).toEqual(['10001:13001(3000)']);
    expect(cwnd(t)).toBe(11);
  });
});

describe('without SACK (limited_transmit/limited-transmit-no-sack.pkt)', () => {
  it('duplicate ACKs count as packets delivered: the ACK of 2 after 2 duplicates adds 1, then 2', () => {
    const t = accepted({ sack: false }, 320);
    expect(write(t, 15000)).toEqual(['1:10001(10000)']);
    expect(ack(t, 110, 1, 320)).toEqual(['10001:11001(1000)']); // RFC 3042 Limited Transmit
    expect(ack(t, 10, 1, 320)).toEqual(['11001:12001(1000)']);
    // "Slow start cwnd from 10 to 11 and send 11 - 9 = 2 packets"
    expect(ack(t, 10, 3001, 320)).toEqual(['12001:14001(2000)']);
    expect(cwnd(t)).toBe(11);
    expect(ack(t, 20, 5001, 320)).toEqual(['14001:15001(1000)']);
    expect(cwnd(t)).toBe(13); // the duplicates' count was reset: both packets count
  });

  it('limited-transmit-sack: with SACK the packets SACKed count once, when SACKed: 11 after the ACK', () => {
    const t = accepted({}, 320);
    expect(write(t, 15000)).toEqual(['1:10001(10000)']);
    for (const [ms, right, out] of [
      [110, 2001, '10001:11001(1000)'],
      [10, 3001, '11001:12001(1000)'],
    ] as const) {
      t.wait(ms);
      t.send({
        flags: '.',
        seq: PEER_ISS + 1,
        ack: ISS + 1,
        window: 320,
        options: { sack: [{ left: seq(ISS + 1001), right: seq(ISS + right) }] },
      });
      expect(sent(t)).toEqual([out]);
    }
    expect(ack(t, 10, 3001, 320)).toEqual(['12001:14001(2000)']);
    expect(cwnd(t)).toBe(11);
  });
});

describe('slow start, application-limited (tcp_is_cwnd_limited)', () => {
  it('ack-per-2pkt-send-5pkt: 5 packets out of 10 never grow cwnd', () => {
    const t = accepted();
    expect(write(t, 5000)).toEqual(['1:5001(5000)']);
    for (const n of [2001, 4001, 5001]) {
      ack(t, 0, n);
      expect(cwnd(t)).toBe(10);
    }
  });

  it('ack-per-2pkt-send-6pkt: 6 packets out grow cwnd to 12, twice what was out, and no more', () => {
    const t = accepted();
    expect(write(t, 6000)).toEqual(['1:6001(6000)']);
    expect([2001, 4001, 6001].map((n) => (ack(t, 0, n), cwnd(t)))).toEqual([12, 12, 12]);
  });

  it('app-limited-9-packets-out: cwnd grows to 18, twice the 9 packets out', () => {
    const t = accepted();
    expect(write(t, 9000)).toEqual(['1:9001(9000)']);
    const waits = [105, 5, 5, 5, 5];
    const acks = [2001, 4001, 6001, 8001, 9001];
    expect(acks.map((n, i) => (ack(t, waits[i] ?? 0, n), cwnd(t)))).toEqual([12, 14, 16, 18, 18]);
  });

  it('app-limited: 10 packets out (all of cwnd) grow it to 20', () => {
    const t = accepted();
    expect(write(t, 10000)).toEqual(['1:10001(10000)']);
    const waits = [105, 5, 5, 5, 5];
    const acks = [2001, 4001, 6001, 8001, 10001];
    expect(acks.map((n, i) => (ack(t, waits[i] ?? 0, n), cwnd(t)))).toEqual([12, 14, 16, 18, 20]);
  });
});

describe('restart after idle (tcp_slow_start_after_idle, RFC 5681 §4.1)', () => {
  /** slow-start-after-idle.pkt up to its idle period: cwnd 10, 20, then 36. */
  function grownTo36(options: Partial<EndpointOptions>, lastWin = 511): Lone {
    const t = accepted(options, 511);
    expect(write(t, 26000)).toEqual(['1:10001(10000)']);
    expect(ack(t, 100, 10001, 511)).toEqual(['10001:26001(16000)']);
    expect(cwnd(t)).toBe(20);
    expect(ack(t, 100, 26001, lastWin)).toEqual([]);
    expect(cwnd(t)).toBe(36);
    return t;
  }

  it('slow-start-after-idle: after 2 s idle cwnd halves per RTO down to IW, 10', () => {
    const t = grownTo36({ slowStartAfterIdle: true });
    t.wait(2000);
    expect(write(t, 20000)).toEqual(['26001:36001(10000)']); // Linux's first TSO burst is 5000
    expect(cwnd(t)).toBe(10);
    expect(ssthresh(t)).toBeGreaterThan(1e9); // tcp_current_ssthresh: still unset
  });

  it("is off in packetdrill's defaults: the whole window goes out after the idle period", () => {
    const t = grownTo36({ slowStartAfterIdle: false });
    t.wait(2000);
    expect(write(t, 20000)).toEqual(['26001:46001(20000)']);
    expect(cwnd(t)).toBe(36);
  });

  it('slow-start-after-win-update: no restart while a zero window holds data back; one when it opens', () => {
    const t = grownTo36({ slowStartAfterIdle: true }, 0);
    expect(write(t, 20000)).toEqual([]);
    let probes = 0;
    for (const ms of [300, 600, 1200]) {
      t.wait(ms);
      probes += t.replies().length; // zero-window probes, nothing else
      expect(cwnd(t)).toBe(36);
    }
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(ack(t, 900, 26001, 511)).toEqual(['26001:36001(10000)']); // Linux: 26001:31001 first
    expect(cwnd(t)).toBe(10);
  });

  it("with the RFC's accounting the restart window is min(IW, cwnd) however long the idle", () => {
    const t = accepted({ cwndAccounting: 'rfc', slowStartAfterIdle: true }, 511);
    write(t, 26000);
    for (let n = 1001; n <= 26001; n += 1000) ack(t, n === 1001 ? 100 : 1, n, 511);
    expect(cwnd(t)).toBe(36); // one SMSS per ACK
    t.wait(400); // just over one RTO: Linux would halve once, to 18
    expect(write(t, 20000)).toEqual(['26001:36001(10000)']);
    expect(cwnd(t)).toBe(10);
  });
});

describe('application-limited (tcp_cwnd_application_limited, RFC 2861)', () => {
  /** cwnd 20 from slow-start-app-limited.pkt, then one packet at a time, each ACKed in 50 ms. */
  function trickle(options: Partial<EndpointOptions>): number[] {
    const t = accepted(options);
    write(t, 10000);
    for (const [ms, n] of [
      [105, 2001],
      [5, 4001],
      [5, 6001],
      [5, 8001],
      [5, 10001],
    ] as const)
      ack(t, ms, n);
    const seen = [cwnd(t)];
    for (let i = 0; i < 40; i++) {
      expect(write(t, 1000)).toEqual([`${10001 + 1000 * i}:${11001 + 1000 * i}(1000)`]);
      ack(t, 50, 11001 + 1000 * i);
      if (cwnd(t) !== seen[seen.length - 1]) seen.push(cwnd(t));
    }
    return seen;
  }

  it('an unused window decays each RTO halfway to what was used (at least IW)', () => {
    expect(trickle({ slowStartAfterIdle: true })).toEqual([20, 15, 12, 11, 10]);
  });

  it('not without tcp_slow_start_after_idle', () => {
    expect(trickle({ slowStartAfterIdle: false })).toEqual([20]);
  });
});

describe('CUBIC as tcp_cubic.c computes it', () => {
  /** Stands in for HyStart, which ends slow start in the script: ssthresh = cwnd (hystart_update). */
  function exitSlowStart(t: Lone): void {
    const c = t.sim.connection(t.id);
    c.congestion = createController({ ...c.congestion.state(), ssthresh: c.congestion.cwnd });
  }

  it('cubic-bulk-166k: HyStart leaves slow start at 48, then at most one packet per two ACKed, every assert of the script', () => {
    // 2 packets ACKed every 100 ms against a window of 514 << 10; HyStart on, as in Linux.
    const t = accepted({ slowStartExit: 'hystart' }, 514, 10);
    write(t, 400000);
    const at: Record<number, number> = {};
    const ssthreshAt: Record<number, number> = {};
    for (let n = 2001; n <= 400001; n += 2000) {
      ack(t, 100, n, 514);
      at[n] = cwnd(t);
      ssthreshAt[n] = ssthresh(t);
    }
    expect([10001, 20001, 30001, 38001].map((n) => at[n])).toEqual([20, 30, 40, 48]);
    // "Hystart exits slow start here at a cwnd of 48": a round begins once cwnd reaches 16
    // (ack 8001, to end at 22001); the next from ack 24001, whose 9th RTT sample, on ack 40001,
    // is far above the minimum of 100 ms (the queue at the peer grows): ssthresh = cwnd = 48.
    expect(ssthreshAt[38001]).toBeGreaterThan(1e9);
    expect(ssthreshAt[40001]).toBe(48);
    expect(t.sim.connection(t.id).congestion.state().slowStartExit).toMatchObject({
      found: true,
      exit: 'delay',
      delayMinUs: 100_000,
    });
    expect([60001, 80001, 100001, 120001].map((n) => at[n])).toEqual([49, 50, 52, 58]);
    // From 58 on, cwnd grows by 1 for every 2 packets ACKed (cnt = 2).
    for (let n = 122001; n <= 400001; n += 2000) expect(at[n]).toBe(58 + (n - 120001) / 2000);
  });

  it('cubic-rto-ss-ca-cwnd-bump: RTO, slow start to ssthresh 7, then +1 per 14-16 ACKed', () => {
    const t = accepted();
    expect(write(t, 1000)).toEqual(['1:1001(1000)']);
    ack(t, 100, 1001);
    expect(cwnd(t)).toBe(10); // one packet out: not cwnd-limited
    expect(write(t, 1000)).toEqual(['1001:2001(1000)']);
    t.wait(250); // this engine has no TLP: the RTO fires (Linux: TLP at +300 ms, RTO at +600)
    expect(sent(t)).toEqual(['1001:2001(1000)']);
    expect(ack(t, 100, 2001)).toEqual([]);
    expect([cwnd(t), ssthresh(t)]).toEqual([2, 7]); // cwnd 1 + 1; ssthresh 10 * 717 / 1024
    expect(write(t, 200000)).toEqual(['2001:4001(2000)']);
    const slowStart = [
      [100, 3001, '4001:6001(2000)', 3],
      [2, 4001, '6001:8001(2000)', 4],
      [98, 5001, '8001:10001(2000)', 5],
      [2, 6001, '10001:12001(2000)', 6],
      [2, 7001, '12001:14001(2000)', 7],
    ] as const;
    for (const [ms, n, out, w] of slowStart) {
      expect(ack(t, ms, n)).toEqual([out]);
      expect(cwnd(t)).toBe(w);
    }
    // Congestion avoidance: W_max was forgotten with the RTO, so cnt starts at 20; the
    // Reno-friendly estimate passes cwnd after 14 ACKs and brings cnt down to 7.
    const waits = [2, 98, 2, 2, 2, 2, 2, 2, 98, 3, 2, 2, 2, 2, 2, 98];
    const cwnds = waits.map((ms, i) => {
      const n = 8001 + 1000 * i;
      const out = ack(t, ms, n);
      expect(out).toEqual(n === 23001 ? ['29001:31001(2000)'] : [`${n + 6000}:${n + 7000}(1000)`]);
      return cwnd(t);
    });
    expect(cwnds[8]).toBe(7); // ack 16001
    expect(cwnds[15]).toBe(8); // ack 23001
  });

  it('an idle period moves the epoch: no credit for time spent sending nothing (TX_START)', () => {
    /** Slow start to 16, then congestion avoidance; all ACKed; `idleMs` later, a new write. */
    function resume(idleMs: number): number[] {
      const t = accepted({}, 514, 10);
      write(t, 16000);
      ack(t, 100, 6001, 514);
      exitSlowStart(t);
      for (const n of [10001, 14001, 16001]) ack(t, 100, n, 514);
      t.wait(idleMs);
      write(t, 200000);
      const out: number[] = [];
      for (let n = 18001; n <= 80001; n += 2000) {
        ack(t, 50, n, 514);
        out.push(cwnd(t));
      }
      return out;
    }
    const busy = resume(0);
    expect(resume(4000)).toEqual(busy);
    expect(busy[busy.length - 1]! - busy[0]!).toBeLessThan(4);
  });
});

describe('Reno with Linux accounting (tcp_reno_cong_avoid)', () => {
  it('RTO: ssthresh half of cwnd, cwnd 1; then +1 per cwnd packets ACKed', () => {
    const t = accepted({ congestion: 'newreno' });
    write(t, 1000);
    ack(t, 100, 1001);
    write(t, 1000);
    t.wait(250);
    ack(t, 100, 2001);
    expect([cwnd(t), ssthresh(t)]).toEqual([2, 5]);
    write(t, 200000);
    const cwnds: number[] = [];
    for (let n = 3001; n <= 22001; n += 1000) {
      ack(t, 10, n);
      cwnds.push(cwnd(t));
    }
    // 3, 4, 5 in slow start; then 5 ACKs for the 6th packet, 6 for the 7th, 7 for the 8th.
    expect(cwnds).toEqual([3, 4, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7]);
  });
});

describe('state', () => {
  it('a snapshot restored mid-transfer goes on exactly as the original', () => {
    const original = accepted({}, 514, 10);
    write(original, 400000);
    for (let n = 2001; n <= 100001; n += 2000) ack(original, 100, n, 514);
    const snapshot = JSON.parse(JSON.stringify(original.sim.snapshot())) as ReturnType<
      Simulation['snapshot']
    >;
    const restored = new Lone(Simulation.restore(snapshot), original.id);
    const go = (t: Lone) =>
      Array.from({ length: 40 }, (_, i) => [ack(t, 100, 102001 + 2000 * i, 514), cwnd(t)]);
    expect(go(restored)).toEqual(go(original));
    expect(restored.sim.connection(restored.id).toState()).toEqual(
      original.sim.connection(original.id).toState(),
    );
  });

  it('an ACK delivers only what the peer had not SACKed already (tcp_newly_delivered)', () => {
    const t = accepted();
    expect(write(t, 10000)).toEqual(['1:10001(10000)']);
    // Segment 1 is lost; the peer SACKs 2 and 3 (too little for a fast retransmit).
    for (const right of [2001, 3001])
      t.send({
        flags: '.',
        seq: PEER_ISS + 1,
        ack: ISS + 1,
        window: 257,
        options: { sack: [{ left: seq(ISS + 1001), right: seq(ISS + right) }] },
      });
    expect(sent(t)).toEqual([]);
    t.wait(t.sim.connection(t.id).rtt.rtoUs / 1000); // the RTO
    expect(sent(t)).toEqual(['1:1001(1000)']);
    expect(cwnd(t)).toBe(1);
    // The retransmission fills the hole: SND.UNA jumps over 2 and 3, which count no more.
    expect(ack(t, 100, 3001)).toEqual(['3001:5001(2000)']);
    expect(cwnd(t)).toBe(2);
  });

  it('packets out: an ACK counts the segments it covers in full, each once; a resent one gives no RTT', () => {
    const out = new SentSegments();
    let order = 0;
    const send = (start: number, end: number, atUs: number) =>
      out.sent(seq(start), seq(end), atUs, ++order);
    const ackOf = (una: number, nowUs: number, blocks: SackBlock[] = []) =>
      deliveryOf(out.take(blocks, seq(una)), nowUs);
    send(1, 1001, 0);
    send(1001, 2001, 10);
    send(2001, 2501, 20);
    expect(out.between(seq(1), seq(2501))).toBe(3);
    expect(ackOf(1500, 100)).toEqual({ packets: 1, rttUs: 100 });
    send(1500, 2001, 200); // resent
    expect(ackOf(2501, 300)).toEqual({ packets: 2, rttUs: undefined });
    expect(out.between(seq(2501), seq(2501))).toBe(0);
    send(2501, 3501, 400);
    send(3501, 4501, 400);
    const blocks = [{ left: seq(3000), right: seq(4501) }];
    // 3501:4501 only (2501:3501 is not covered in full); its SACK gives the RTT.
    expect(ackOf(2501, 450, blocks)).toEqual({ packets: 1, rttUs: 50 });
    expect(ackOf(2501, 460, blocks)).toEqual({ packets: 0, rttUs: undefined });
    // The cumulative ACK delivers 2501:3501 alone: 3501:4501 was counted when SACKed.
    expect(ackOf(4501, 500)).toEqual({ packets: 1, rttUs: 100 });
  });
});
