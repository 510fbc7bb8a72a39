// The RTO as Linux computes it (tcp_rtt_estimator, __tcp_set_rto) beside RFC 6298 §2.
import { describe, expect, it } from 'vitest';
import { initialRtt, sampleRtt, type RttLimits } from '../src/tcp/rtt.js';
import { established, ISS, PEER_ISS } from './lone.js';

const rfc: RttLimits = { initialUs: 1_000_000, minUs: 200_000, maxUs: 120_000_000 };
const linux: RttLimits = { ...rfc, estimator: 'linux' };

describe("Linux's RTO (tcp_rtt_estimator)", () => {
  it('bounds the variance term by the minimum, not the RTO: a 10 ms path gets 210 ms', () => {
    expect(sampleRtt(initialRtt(rfc), 10_000, rfc).rtoUs).toBe(200_000);
    expect(sampleRtt(initialRtt(linux), 10_000, linux).rtoUs).toBe(210_000);
    // A long path: 3 x RTT either way (RFC 6298 §2.2; Linux "make sure rto = 3*rtt").
    expect(sampleRtt(initialRtt(rfc), 100_000, rfc).rtoUs).toBe(300_000);
    expect(sampleRtt(initialRtt(linux), 100_000, linux).rtoUs).toBe(300_000);
  });

  it('moves the deviation 1/32 of the way when the RTT falls, 1/4 when it rises', () => {
    const first = sampleRtt(initialRtt(linux), 100_000, linux, { una: 1, nxt: 10 });
    expect([first.srttUs, first.rttvarUs]).toEqual([100_000, 50_000]);
    const lower = sampleRtt(first, 20_000, linux, { una: 2, nxt: 10 });
    // error 80 ms - mdev 50 ms = 30 ms, /8 = 3.75 ms, /4: mdev 50.9375 ms.
    expect([lower.srttUs, lower.rttvarUs]).toEqual([90_000, 50_938]);
    const higher = sampleRtt(first, 180_000, linux, { una: 2, nxt: 10 });
    // error 80 ms - mdev 50 ms = 30 ms, /4: mdev 57.5 ms; the variance term 4 x 57.5 = 230 ms.
    expect([higher.srttUs, higher.rttvarUs, higher.rtoUs]).toEqual([110_000, 57_500, 340_000]);
  });

  it('lets the variance term decay once per RTT, towards the largest deviation of the last', () => {
    let rtt = sampleRtt(initialRtt(linux), 100_000, linux, { una: 1, nxt: 10 });
    // Steady 100 ms samples, each acknowledging past the RTT's start: the RTO falls to
    // SRTT + the minimum.
    for (let i = 0; i < 40; i++) rtt = sampleRtt(rtt, 100_000, linux, { una: 11 + i, nxt: 12 + i });
    expect(rtt.rtoUs).toBe(300_000);
    expect(rtt.linux?.varUs).toBeGreaterThanOrEqual(200_000);
  });

  it('an endpoint with the linux estimator retransmits after SRTT + the minimum on a short path', () => {
    const t = established({ rttEstimator: 'linux', rtoMinMs: 200 });
    t.sim.sendData(t.id, new TextEncoder().encode('a'));
    t.wait(10);
    t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 2 });
    t.sim.sendData(t.id, new TextEncoder().encode('b'));
    t.replies();
    // Two samples: the SYN's (no delay on this link: 1 µs) and 10 ms. SRTT 1.25 ms, and the
    // variance term the minimum: 202 ms, in whole milliseconds.
    expect(t.sim.connection(t.id).rtt.rtoUs).toBe(202_000);
    t.wait(201);
    expect(t.replies()).toEqual([]);
    t.wait(1);
    expect(t.replies()).toEqual([`P. ${ISS + 2}:${ISS + 3}(1) ack ${PEER_ISS + 1} win 65535`]);
  });
});
