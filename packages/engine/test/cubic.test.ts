// CUBIC (RFC 9438): after a loss, cwnd follows W_cubic(t) = C (t - K)^3 + W_max; on a short
// RTT the Reno-friendly estimate W_est leads instead.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.js';
import {
  CUBIC_BETA,
  wCubic,
  type CongestionState,
  type CubicState,
} from '../src/tcp/congestion/index.js';
import type { TraceEvent } from '../src/trace/events.js';

const SMSS = 1460;

/**
 * A CUBIC bulk transfer that loses data segment `lossAt`, run `stepMs` at a time until the
 * sender has nothing left; `look` sees the simulation, the sender and the trace of each step.
 */
function runWithOneLoss(
  delayMs: number,
  lossAt: number,
  bytes: number,
  stepMs: number,
  look: (sim: Simulation, client: string, trace: TraceEvent[]) => void,
): void {
  const sim = new Simulation({ seed: 1, link: { delayMs } });
  const options = {
    congestion: 'cubic' as const,
    sndBuffer: 16 << 20,
    rcvBuffer: 16 << 20,
    nagle: false,
    delayedAckMs: 0,
  };
  const client = sim.addEndpoint({ address: '10.0.0.1', port: 40000, options });
  const server = sim.addEndpoint({ address: '10.0.0.2', port: 80, options });
  sim.listen(server);
  sim.connect(client, { address: '10.0.0.2', port: 80 });
  sim.runUntilIdle(2000);
  // The handshake ACK is the client's first '.' segment: data segment n is the (n+1)th.
  sim.addFault({ from: { address: '10.0.0.1', port: 40000 }, flags: '.', nth: lossAt + 1 }, 'drop');
  sim.sendData(client, new Uint8Array(bytes));
  const child = sim.endpointIds().find((id) => sim.endpointInfo(id).parentId === server) ?? '';
  for (let t = 0; t < 20_000 && sim.status(client).buffered.send > 0; t += stepMs) {
    sim.advance(stepMs);
    sim.receive(child);
    look(sim, client, sim.drainTrace());
  }
}

/** The sender's congestion state, sampled every `sampleEveryMs`. */
function afterOneLoss(delayMs: number, lossAt: number, bytes: number, sampleEveryMs: number) {
  const samples: { nowUs: number; state: CongestionState }[] = [];
  runWithOneLoss(delayMs, lossAt, bytes, sampleEveryMs, (sim, client) => {
    samples.push({ nowUs: sim.nowUs, state: sim.connection(client).congestion.state() });
  });
  return samples;
}

/** The same run, as the sender's metrics events, with the epoch that began after the loss. */
function metricsAfterOneLoss() {
  const events: Extract<TraceEvent, { kind: 'metrics' }>[] = [];
  let epoch: (CubicState & { epochStartUs: number }) | undefined;
  runWithOneLoss(100, 300, 12 << 20, 10, (sim, client, trace) => {
    for (const e of trace) if (e.kind === 'metrics' && e.endpointId === client) events.push(e);
    const cubic = sim.connection(client).congestion.state().cubic;
    if (epoch === undefined && cubic?.epochStartUs !== undefined) {
      epoch = { ...cubic, epochStartUs: cubic.epochStartUs };
    }
  });
  if (epoch === undefined) throw new Error('no congestion avoidance epoch began');
  return { events, epoch };
}

describe('CUBIC (RFC 9438)', () => {
  const samples = afterOneLoss(100, 300, 12 << 20, 100);
  const inEpoch = samples.filter((s) => s.state.cubic?.epochStartUs !== undefined);

  it('reduces with beta = 0.7 and K = cbrt(W_max (1 - beta) / C)', () => {
    const first = inEpoch[0]?.state;
    const wMax = first?.cubic?.wMax ?? 0;
    expect(wMax).toBeGreaterThan(100);
    expect(first?.ssthresh).toBe(Math.floor(wMax * SMSS * CUBIC_BETA));
    expect(first?.cubic?.k).toBeCloseTo(Math.cbrt((wMax * (1 - CUBIC_BETA)) / 0.4), 1);
  });

  // cwnd moves once per round trip (a window of ACKs returns together on this link), so a
  // sample can sit up to one RTT's growth of the curve behind or ahead of it.
  it('follows W_cubic(t) within one segment, or one RTT of the curve where it is steep', () => {
    const compared = inEpoch
      .map((s) => {
        const cubic = s.state.cubic;
        const t = (s.nowUs - (cubic?.epochStartUs ?? 0)) / 1e6;
        return {
          t,
          cwnd: s.state.cwnd / SMSS,
          expected: cubic ? wCubic(cubic, t) : 0,
          oneRttLater: cubic ? wCubic(cubic, t + 0.2) : 0,
        };
      })
      .filter((s) => s.t >= 0.5 && s.t <= 6);
    expect(compared.length).toBeGreaterThan(40);
    for (const s of compared) {
      const tolerance = Math.max(1, Math.abs(s.oneRttLater - s.expected));
      expect(Math.abs(s.cwnd - s.expected), `t = ${s.t.toFixed(1)} s`).toBeLessThanOrEqual(
        tolerance,
      );
    }
    // Where the curve is flat (less than a segment per RTT), cwnd sits on it.
    const flat = compared.filter((s) => Math.abs(s.oneRttLater - s.expected) < 1);
    expect(flat.length).toBeGreaterThan(5);
  });

  it('moves cwnd by (target - cwnd) / cwnd per ACK, target = W_cubic(t + RTT) (RFC 9438 §4.4)', () => {
    const { events, epoch } = metricsAfterOneLoss();
    let checked = 0;
    for (let i = 1; i < events.length; i++) {
      const before = events[i - 1]!;
      const after = events[i]!;
      const t = (after.timeUs - epoch.epochStartUs) / 1e6;
      // At t = 0 both W_cubic and the Reno-friendly W_est start from cwnd, and W_est is ahead.
      if (t <= 0 || t > 6 || after.cwnd === before.cwnd || before.srttUs === undefined) continue;
      const cwnd = before.cwnd / SMSS;
      // The RTT is the smoothed one from before this ACK's own sample.
      const rtt = before.srttUs / 1e6;
      const target = Math.min(Math.max(wCubic(epoch, t + rtt), cwnd), 1.5 * cwnd);
      // One segment acknowledged per ACK here (no delayed ACK).
      expect(after.cwnd).toBe(Math.round((cwnd + (target - cwnd) / cwnd) * SMSS));
      checked += 1;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('on a short RTT the Reno-friendly estimate leads: cwnd runs above W_cubic', () => {
    const short = afterOneLoss(1, 300, 40 << 20, 20).filter(
      (s) => s.state.cubic?.epochStartUs !== undefined,
    );
    const above = short.filter((s) => {
      const cubic = s.state.cubic;
      if (cubic === undefined) return false;
      const t = (s.nowUs - (cubic.epochStartUs ?? 0)) / 1e6;
      return s.state.cwnd / SMSS > wCubic(cubic, t) + 1 && s.state.cwnd / SMSS <= cubic.wEst + 1;
    });
    expect(above.length).toBeGreaterThanOrEqual(3);
  });
});
