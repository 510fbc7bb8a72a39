// Pacing as Linux does it under the fq qdisc (`pacing: true`): the rate of
// tcp_update_pacing_rate, the release times of tcp_update_skb_after_send and the packet sizes
// of tcp_tso_autosize and tcp_cwnd_test, seen as the segments the endpoint sends and when.
// The peer is played by hand (linux-peer.ts): MSS 1000, its ACK of our SYN-ACK 100 ms after
// the SYN, so SRTT = 100 ms; our data starts at 1001 and times are in ms.
import { describe, expect, it } from 'vitest';
import { Simulation, type SimulationSnapshot } from '../src/sim/simulation.js';
import { createController } from '../src/tcp/congestion/index.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import { pacingRate } from '../src/tcp/pacing-rate.js';
import { PROFILES } from '../src/tcp/profiles.js';
import { accepted, ack, DATA, sent } from './linux-peer.js';
import { ISS, Lone } from './lone.js';

/** Room in the peer's window for 64 segments (512 << 7), cwnd 20 segments. */
const WINDOW = 512;
const PACED: Partial<EndpointOptions> = { pacing: true, initialWindow: 20, sndBuffer: 1 << 20 };

function start(options: Partial<EndpointOptions> = {}): Lone {
  return accepted({ ...PACED, ...options }, { window: WINDOW });
}

/** Writes `bytes` and lets `ms` pass: the data segments sent, each as `time seq:end(len)`. */
function write(t: Lone, bytes: number, ms = 200): string[] {
  t.sim.sendData(t.id, new Uint8Array(bytes));
  t.wait(ms);
  return sent(t, true).map((line) => line.replace(/ [.P]+ /, ' '));
}

/** Ends slow start: ssthresh = cwnd, as HyStart leaves it. */
function congestionAvoidance(t: Lone): void {
  const c = t.sim.connection(t.id);
  c.congestion = createController({ ...c.congestion.state(), ssthresh: c.congestion.cwnd });
}

/** The segments `from`..`to` (in 1000-byte steps from our first byte), two per line time. */
function pairs(times: number[], first: number): string[] {
  return times.flatMap((ms, i) => {
    const a = DATA + first + 2000 * i;
    return [`${ms} ${a}:${a + 1000}(1000)`, `${ms} ${a + 1000}:${a + 2000}(1000)`];
  });
}

describe('the pacing rate (tcp_update_pacing_rate)', () => {
  const at = (cwnd: number, ssthresh: number, packetsOut = 0) =>
    pacingRate({
      mss: 1000,
      cwnd: cwnd * 1000,
      ssthresh: ssthresh * 1000,
      packetsOut,
      srttUs: 100_000,
    });

  it.each([
    // [cwnd, ssthresh, packets out, bytes per second]
    [10, Infinity, 0, 200_000], // slow start: 200% of 10 kB per 100 ms
    [9, 20, 0, 180_000], // still below ssthresh / 2
    [10, 20, 0, 120_000], // at ssthresh / 2: 120%, "approaching the end of slow start"
    [10, 21, 0, 120_000], // ssthresh / 2 in whole packets: 10
    [40, 20, 0, 480_000], // congestion avoidance
    [10, 20, 15, 180_000], // more out than cwnd (after a cut): packets_out counts
  ])('cwnd %i, ssthresh %f, %i out: %i B/s', (cwnd, ssthresh, out, rate) => {
    expect(at(cwnd, ssthresh, out)).toBe(rate);
  });

  it('takes the ratios given, and is unlimited before the first RTT sample', () => {
    const input = { mss: 1000, cwnd: 10_000, ssthresh: Infinity, srttUs: 100_000 };
    expect(pacingRate({ ...input, ssRatio: 300 })).toBe(300_000);
    expect(pacingRate({ ...input, ssthresh: 10_000, caRatio: 100 })).toBe(100_000);
    expect(pacingRate({ ...input, srttUs: undefined })).toBeUndefined();
  });
});

describe('releases under fq', () => {
  it('slow start: the first 10 segments at once, then 2 segments every 5 ms (200% of cwnd 20 per 100 ms)', () => {
    const t = start();
    // 2000 bytes at 2 * 20000 B / 100 ms = 400 kB/s: one packet of 2 segments per 5 ms.
    expect(write(t, 20_000)).toEqual([
      ...pairs([100, 100, 100, 100, 100], 0),
      ...pairs([105, 110, 115, 120, 125], 10_000),
    ]);
  });

  it('congestion avoidance: 120%, 8.33 ms per packet; the timer drift credit keeps the average', () => {
    const t = start();
    congestionAvoidance(t);
    // 2000 bytes at 1.2 * 20000 B / 100 ms = 240 kB/s: 8333.33 us. The pacing timer fires at
    // the next whole microsecond; the packet that leaves 0.67 us late takes that back.
    expect(write(t, 20_000)).toEqual([
      ...pairs([100, 100, 100, 100, 100], 0),
      ...pairs([108.334, 116.667, 125, 133.334, 141.667], 10_000),
    ]);
  });

  it('tcp_min_tso_segs 4: packets of 4 segments, each holding the next back twice as long', () => {
    const t = start({ minTsoSegs: 4 });
    const lines = write(t, 26_000);
    const times = lines.map((l) => Number(l.split(' ')[0]));
    // Packets of 4 + 4 + 4 unpaced: the tenth segment is in the third, which is paced as a
    // whole (4000 bytes at 400 kB/s: 10 ms); then 4 segments every 10 ms up to cwnd.
    expect(times).toEqual([
      ...Array<number>(12).fill(100),
      ...Array<number>(4).fill(110),
      ...Array<number>(4).fill(120),
    ]);
  });

  it('a packet that leaves late (an ACK after a quiet spell) holds the next back half as long', () => {
    const t = start({ initialWindow: 10 });
    expect(write(t, 30_000, 100)).toEqual(pairs([100, 100, 100, 100, 100], 0));
    // The ACK of 2 segments at 200 ms opens room for 3 (cwnd 11 by RFC 5681's byte counting):
    // a packet of 2, then 1. Rate 2 * 11000 B / 100 ms = 220 kB/s: 2000 bytes take 9091 us;
    // the last release was due at 110 ms, 90 ms ago, so this packet gets half of that back.
    ack(t, DATA + 2000, WINDOW);
    t.wait(50);
    expect(sent(t, true).map((l) => l.replace(/ [.P]+ /, ' '))).toEqual([
      `200 ${DATA + 10_000}:${DATA + 11_000}(1000)`,
      `200 ${DATA + 11_000}:${DATA + 12_000}(1000)`,
      `204.546 ${DATA + 12_000}:${DATA + 13_000}(1000)`,
    ]);
  });

  it('arms the pacing timer for a held packet; a snapshot restores it and goes on as the original', () => {
    const original = start();
    original.sim.sendData(original.id, new Uint8Array(40_000));
    original.wait(7);
    expect(original.sim.status(original.id).timers).toEqual(
      expect.arrayContaining([{ kind: 'pacing', expiresUs: 110_000 }]),
    );
    const snapshot = JSON.parse(JSON.stringify(original.sim.snapshot())) as SimulationSnapshot;
    const restored = new Lone(Simulation.restore(snapshot), original.id);
    restored.events();
    const go = (t: Lone) => {
      sent(t);
      t.wait(93);
      ack(t, DATA + 4000, WINDOW);
      t.wait(100);
      return sent(t, true);
    };
    const seen = go(original);
    expect(seen.length).toBeGreaterThan(10);
    expect(go(restored)).toEqual(seen);
    expect(restored.sim.connection(restored.id).toState()).toEqual(
      original.sim.connection(original.id).toState(),
    );
  });
});

describe('slow_start/slow-start-fq-ack-per-2pkt.pkt (tc qdisc replace dev tun0 root fq)', () => {
  /**
   * What left since the last look, one line per TSO packet as packetdrill shows it: the time in
   * ms (the script's less 100: its SYN comes at 0.1 s), the last segment's flags, and the
   * script's sequence numbers.
   */
  function packets(t: Lone): string[] {
    const lines: { ms: number; flags: string; start: number; end: number }[] = [];
    for (const line of sent(t, true)) {
      const m = /^(\S+) (\S+) (\d+):(\d+)\(/.exec(line);
      if (m === null) continue;
      const [ms, flags, start, end] = [
        Number(m[1]),
        m[2] ?? '',
        Number(m[3]) - ISS,
        Number(m[4]) - ISS,
      ];
      const last = lines[lines.length - 1];
      if (last !== undefined && last.ms === ms && last.end === start && last.flags !== 'P.') {
        Object.assign(last, { flags, end });
      } else lines.push({ ms, flags, start, end });
    }
    return lines.map((p) => `${p.ms} ${p.flags} ${p.start}:${p.end}(${p.end - p.start})`);
  }

  it("Linux's packets at Linux's times, cwnd 10 to 20 (the linux profile with pacing on)", () => {
    // `< S 0:0(0) win 32792 <mss 1460,...>`, our SYN-ACK, `+.1 < . 1:1(0) ack 1 win 500`;
    // SO_SNDBUF 200000, which Linux doubles.
    const t = accepted(
      { ...PROFILES.linux, pacing: true, sndBuffer: 400_000 },
      { mss: 1460, window: 500 },
    );
    const cwnd = () => t.sim.connection(t.id).congestion.cwnd / 1460;
    const acked = (ms: number, n: number) => {
      t.wait(ms);
      ack(t, DATA - 1 + n, 500);
      return cwnd();
    };
    // `+0 write(4, ..., 40000)`: 10 segments unpaced, in packets of 2 (292 kB/s >> 10 is under
    // one MSS: tcp_min_tso_segs).
    t.sim.sendData(t.id, new Uint8Array(40_000));
    expect(packets(t)).toEqual([
      '100 P. 1:2921(2920)',
      '100 P. 2921:5841(2920)',
      '100 P. 5841:8761(2920)',
      '100 P. 8761:11681(2920)',
      '100 P. 11681:14601(2920)',
    ]);
    expect(cwnd()).toBe(10);
    // `+.105 < . 1:1(0) ack 2921`: cwnd 12, and the next packet goes at once, 95 ms after its
    // release time: "FQ will allow following packet to be sent a bit earlier".
    expect(acked(105, 2921)).toBe(12);
    expect(packets(t)).toEqual(['205 P. 14601:17521(2920)']);
    // `+.003 < . ack 5841`, cwnd 14; `+.001 > P. 17521:20441(2920)` (script: 209 ms): half of
    // 2920 B at 2 * 12 * 1460 B / 100.625 ms.
    expect(acked(3, 5841)).toBe(14);
    expect(packets(t)).toEqual([]);
    // `+.001 < . ack 8761`, cwnd 16.
    expect(acked(2, 8761)).toBe(16);
    expect(packets(t)).toEqual(['209.193 P. 17521:20441(2920)']);
    // `+.007 > P. 20441:23361(2920)` (217 ms): "remaining packets are delivered at a constant
    // rate"; then `+.002 < . ack 11681`, cwnd 18, and `+.001 < . ack 14601`, cwnd 20.
    expect(acked(9, 11681)).toBe(18);
    expect(packets(t)).toEqual(['216.381 P. 20441:23361(2920)']);
    expect(acked(1, 14601)).toBe(20);
    // `+.004 > P. 23361:26281(2920)` (224 ms), `+.007 > P. 26281:29201(2920)` (231 ms); the
    // script allows 4 ms either side.
    t.wait(12);
    expect(packets(t)).toEqual(['222.67 P. 23361:26281(2920)', '227.701 P. 26281:29201(2920)']);
    expect(cwnd()).toBe(20);
  });

  it('without fq the same ACKs let the window out at once', () => {
    const t = accepted({ ...PROFILES.linux, sndBuffer: 400_000 }, { mss: 1460, window: 500 });
    t.sim.sendData(t.id, new Uint8Array(40_000));
    sent(t);
    t.wait(105);
    ack(t, DATA + 2920, 500);
    t.wait(3);
    ack(t, DATA + 5840, 500);
    // 4 segments for each ACK, at its time: the script's 17521:20441 would leave at 208 ms.
    expect(sent(t, true).map((l) => l.split(' ')[0])).toEqual([
      ...Array<string>(4).fill('205'),
      ...Array<string>(4).fill('208'),
    ]);
  });
});

describe('pacing off (the default)', () => {
  it('sends the whole window at once', () => {
    const t = start({ pacing: false });
    const lines = write(t, 20_000);
    expect(lines).toHaveLength(20);
    expect(lines.every((l) => l.startsWith('100 '))).toBe(true);
  });

  it('the ratios and tcp_min_tso_segs change nothing without pacing or Linux PSH marks', () => {
    const run = (options: Partial<EndpointOptions>) => {
      const t = start({ pacing: false, ...options });
      t.sim.sendData(t.id, new Uint8Array(30_000));
      for (let n = 2; n <= 20; n += 2) {
        t.wait(10);
        ack(t, DATA + 1000 * n, WINDOW);
      }
      t.wait(1000);
      return JSON.stringify(t.events());
    };
    expect(run({ pacingSsRatio: 1000, pacingCaRatio: 50, minTsoSegs: 8 })).toBe(run({}));
  });
});
