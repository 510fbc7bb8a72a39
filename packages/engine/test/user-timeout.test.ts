// TCP_USER_TIMEOUT (option `userTimeoutMs`, RFC 5482 §1, RFC 9293 §3.10.8), timed as Linux
// times it (tcp_write_timeout, tcp_probe_timer, tcp_keepalive_timer). The endpoint's RTT is
// 100 ms, so its RTO is 300 ms (100 + 4 * 50, over Linux's 200 ms minimum).
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.js';
import type { TraceEvent } from '../src/trace/events.js';
import { accepted, ack, DATA, sent } from './linux-peer.js';
import { Lone, synSent } from './lone.js';

const LINUX = { rtoMinMs: 200, initialWindow: 10, delayedAckMs: 0 } as const;

/** When the endpoint under test went to CLOSED (in ms), and why. */
function closes(t: Lone): string[] {
  t.trace.push(...t.sim.drainTrace());
  return t.trace.flatMap((e: TraceEvent) =>
    e.kind === 'state' && e.endpointId === t.id && e.to === 'CLOSED'
      ? [`${e.timeUs / 1000} ${e.from} -> CLOSED (${e.cause})`]
      : [],
  );
}

describe('userTimeoutMs: unacknowledged data', () => {
  it('aborts with ETIMEDOUT once the first retransmission is that old, the timer clamped to it', () => {
    const t = accepted({ ...LINUX, userTimeoutMs: 3000 });
    t.sim.sendData(t.id, new Uint8Array(24));
    t.wait(10_000);
    // Sent at 100 ms; retransmitted at 400 (the first RTO: the clock starts), 1000 and 2200
    // (backed off); the next RTO (2400 ms later) is cut to 400 + 3000.
    expect(sent(t, true)).toEqual([
      '100 P. 1001:1025(24)',
      '400 P. 1001:1025(24)',
      '1000 P. 1001:1025(24)',
      '2200 P. 1001:1025(24)',
    ]);
    expect(closes(t)).toEqual(['3400 ESTABLISHED -> CLOSED (user timeout)']);
    expect(t.sim.endpointInfo(t.id).error).toBe('ETIMEDOUT');
  });

  it('replaces the retransmission count: dataRetries no longer ends the connection', () => {
    const t = accepted({ ...LINUX, userTimeoutMs: 3000, dataRetries: 1 });
    t.sim.sendData(t.id, new Uint8Array(24));
    t.wait(10_000);
    expect(sent(t).length).toBe(4);
    expect(closes(t)).toEqual(['3400 ESTABLISHED -> CLOSED (user timeout)']);
  });

  it('without it, the same silence is still retransmitted at 3.4 s', () => {
    const t = accepted(LINUX);
    t.sim.sendData(t.id, new Uint8Array(24));
    t.wait(3300);
    expect(sent(t, true).at(-1)).toBe('2200 P. 1001:1025(24)');
    expect(t.state()).toBe('ESTABLISHED');
  });

  it('an ACK of everything retransmitted ends the episode: the next one starts a new clock', () => {
    const t = accepted({ ...LINUX, userTimeoutMs: 1000 });
    t.sim.sendData(t.id, new Uint8Array(24));
    t.wait(300); // 400 ms: the first retransmission
    ack(t, DATA + 24);
    t.wait(2000);
    t.sim.sendData(t.id, new Uint8Array(24)); // 2400 ms
    t.wait(10_000);
    // The RTO stays backed off (600 ms) without a new sample (RFC 6298 §5.7, Karn). With the
    // old clock (400 ms), this first RTO would have aborted at once.
    expect(sent(t, true).slice(2)).toEqual([
      '2400 P. 1025:1049(24)',
      '3000 P. 1025:1049(24)', // a new episode: the clock starts here
    ]);
    expect(closes(t)).toEqual(['4000 ESTABLISHED -> CLOSED (user timeout)']);
  });

  it('in SYN-SENT, counts from the first SYN', () => {
    const t = synSent({ userTimeoutMs: 2500 });
    t.wait(10_000);
    // SYN at 0 (sent by synSent), again at 1 s; the next RTO (2 s later) is cut to 2.5 s.
    expect(t.replies()).toEqual(['S 1000:1000(0) win 65535 <mss 1460>']);
    expect(closes(t)).toEqual(['2500 SYN-SENT -> CLOSED (user timeout)']);
    expect(t.sim.endpointInfo(t.id).error).toBe('ETIMEDOUT');
  });
});

describe('userTimeoutMs: zero-window probing', () => {
  function zeroWindow(userTimeoutMs: number): Lone {
    const t = accepted({ ...LINUX, userTimeoutMs });
    ack(t, DATA, 0); // the peer closes its window
    t.sim.sendData(t.id, new Uint8Array(24)); // at 100 ms: it waits
    return t;
  }

  it('aborts once probing has lasted that long, even with every probe answered (tcp_probe_timer)', () => {
    const t = zeroWindow(3000);
    const probes: number[] = [];
    for (let ms = 100; ms < 10_000 && t.state() !== 'CLOSED'; ms += 1) {
      t.wait(1);
      for (const line of sent(t, true)) {
        probes.push(Number(line.split(' ')[0]));
        ack(t, DATA, 0); // answered: still closed
      }
    }
    // The first probe at 100 + 300 ms starts the clock; then 600 and 1200 ms apart; the next
    // (2400 ms) is cut to 400 + 3000.
    expect(probes).toEqual([400, 1000, 2200]);
    expect(closes(t)).toEqual(['3400 ESTABLISHED -> CLOSED (user timeout)']);
    expect(t.sim.endpointInfo(t.id).error).toBe('ETIMEDOUT');
  });

  it('without it, probing goes on', () => {
    const t = zeroWindow(0);
    t.wait(60_000);
    expect(t.state()).toBe('ESTABLISHED');
  });

  it('the window opening ends the probing: a later closed window starts a new clock', () => {
    const t = zeroWindow(1000);
    t.wait(300); // the first probe, at 400 ms
    ack(t, DATA, 257); // open: the data goes
    expect(sent(t, true)).toEqual(['400 .', '400 P. 1001:1025(24)']); // the probe, the data
    ack(t, DATA + 24, 0);
    t.wait(1000); // 1400 ms
    t.sim.sendData(t.id, new Uint8Array(24));
    t.wait(10_000);
    // Probing starts again with the first probe, one RTO after the write (337.5 ms: the RTO
    // moved with the ACK's sample); the abort comes 1000 ms after it, not after 400 ms.
    const probes = sent(t, true).map((line) => Number(line.split(' ')[0]));
    expect(probes).toEqual([1737.5, 2412.5]);
    expect(closes(t)).toEqual(['2737.5 ESTABLISHED -> CLOSED (user timeout)']);
  });

  it('a restored snapshot aborts at the same moment', () => {
    const t = zeroWindow(3000);
    t.wait(1000); // probing since 400 ms
    const restored = new Lone(Simulation.restore(t.sim.snapshot()), t.id);
    restored.wait(10_000);
    expect(closes(restored)).toEqual(['3400 ESTABLISHED -> CLOSED (user timeout)']);
  });
});

describe('userTimeoutMs: keep-alive', () => {
  it('a probe unanswered and nothing received for that long ends it, whatever the probe count', () => {
    const keepalive = { idleMs: 1000, intervalMs: 500, probes: 9 };
    const t = accepted({ ...LINUX, keepalive, userTimeoutMs: 2000 });
    t.wait(10_000);
    // Idle from 100 ms: probes at 1100 and 1600; at 2100, 2000 ms without a word.
    expect(t.replies()).toEqual(['. ack 101 win 255', '. ack 101 win 255']);
    expect(closes(t)).toEqual(['2100 ESTABLISHED -> CLOSED (keep-alive probes unanswered)']);
  });
});

describe('setOptions on a live connection', () => {
  it('takes userTimeoutMs at once: the next retransmission timeout applies it', () => {
    const t = accepted(LINUX);
    t.sim.sendData(t.id, new Uint8Array(24));
    t.wait(500); // one retransmission, at 400 ms
    t.sim.setOptions(t.id, { userTimeoutMs: 1000 });
    t.wait(10_000);
    expect(sent(t, true).slice(2)).toEqual(['1000 P. 1001:1025(24)']);
    expect(closes(t)).toEqual(['1400 ESTABLISHED -> CLOSED (user timeout)']);
  });
});

describe('states saved before the user timeout existed', () => {
  it('restore with its default (off): the retransmission count still ends the connection', () => {
    const t = accepted({ ...LINUX, dataRetries: 2 });
    t.sim.sendData(t.id, new Uint8Array(24));
    const snapshot = t.sim.snapshot();
    for (const c of snapshot.connections) {
      const { userTimeoutMs: _u, cork: _c, pushFlag: _p, ...before } = c.options;
      Object.assign(c, { options: before, push: undefined, userTimeout: undefined });
    }
    const restored = new Lone(Simulation.restore(snapshot), t.id);
    restored.wait(10_000);
    // Retransmitted at 400 and 1000 ms; the third timeout (2200 ms) gives up.
    expect(closes(restored)).toEqual(['2200 ESTABLISHED -> CLOSED (retransmissions exhausted)']);
  });
});
