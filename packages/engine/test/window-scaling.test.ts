// Window scaling (RFC 7323 §2): negotiated in the SYNs, never applied to a SYN's window, and
// what lets more than 64 KB be in flight on a long fat link.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import { established, ISS, PEER, PEER_ISS, synReceived, synSent } from './lone.js';

describe('negotiation', () => {
  it.each([
    [65535, undefined],
    [65536, 1],
    [1 << 20, 5],
    [1 << 30, 14],
  ])('a receive buffer of %i offers shift %s', (rcvBuffer, shift) => {
    const t = synSent({ rcvBuffer });
    expect(t.sim.connection(t.id).offeredShift()).toBe(shift);
  });

  it('an explicit shift is offered as it is, and false offers none', () => {
    expect(synSent({ windowScale: 7 }).sim.connection('e1').offeredShift()).toBe(7);
    expect(
      synSent({ windowScale: false, rcvBuffer: 1 << 20 })
        .sim.connection('e1')
        .offeredShift(),
    ).toBeUndefined();
  });

  it('the SYN carries the offer and the full window field; the peer agrees: both shifts apply', () => {
    const sim = new Simulation({ seed: 1, link: { delayMs: 0 } });
    const id = sim.addEndpoint({
      address: '10.0.0.1',
      port: 80,
      options: { isn: ISS, rcvBuffer: 1 << 20 },
    });
    sim.connect(id, PEER);
    const syn = sim.drainTrace().find((e) => e.kind === 'segment');
    expect(syn?.kind === 'segment' && [syn.flags, syn.window, syn.options]).toEqual([
      'S',
      65535,
      { mss: 1460, wscale: 5 },
    ]);
  });

  it('with the peer agreeing, windows in both directions are scaled', () => {
    const t = synSent({ rcvBuffer: 1 << 20 });
    t.send({
      flags: 'S.',
      seq: PEER_ISS,
      ack: ISS + 1,
      window: 8192,
      options: { mss: 1460, wscale: 3 },
    });
    const c = t.sim.connection(t.id);
    expect([c.windowScaling, c.sndShift, c.rcvShift, c.sndWnd]).toEqual([true, 3, 5, 8192]); // SYN: unscaled
    expect(t.replies()).toEqual([`. ack ${PEER_ISS + 1} win 32768`]); // 1 MiB >> 5
    t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 1, window: 1000 });
    expect(c.sndWnd).toBe(8000); // 1000 << 3
  });

  it('without the peer agreeing, nothing is scaled', () => {
    const t = synSent({ rcvBuffer: 1 << 20 });
    t.send({ flags: 'S.', seq: PEER_ISS, ack: ISS + 1, window: 8192, options: { mss: 1460 } });
    const c = t.sim.connection(t.id);
    expect([c.windowScaling, c.sndShift, c.rcvShift]).toEqual([false, 0, 0]);
    expect(t.replies()).toEqual([`. ack ${PEER_ISS + 1} win 65535`]);
  });

  it('a passive side answers an offer with its own shift, 0 for a small buffer', () => {
    const t = synReceived({}, { wscale: 7 });
    expect(t.sim.connection(t.id).windowScaling).toBe(true);
    expect(t.sim.connection(t.id).sndShift).toBe(7);
  });

  it('a shift over 14 is taken as 14 (RFC 7323 §2.3)', () => {
    const t = synSent({ rcvBuffer: 1 << 20 });
    t.send({ flags: 'S.', seq: PEER_ISS, ack: ISS + 1, options: { wscale: 20 } });
    expect(t.sim.connection(t.id).sndShift).toBe(14);
  });

  it('windowScale false neither offers nor accepts', () => {
    const t = established({ rcvBuffer: 1 << 20, windowScale: false });
    expect(t.sim.connection(t.id).windowScaling).toBe(false);
  });
});

/** 2 MB over a 100 ms one-way link: completion time and the largest amount in flight. */
function longFatTransfer(options: Partial<EndpointOptions>) {
  const sim = new Simulation({ seed: 1, link: { delayMs: 100 } });
  const common = {
    rcvBuffer: 4 << 20,
    sndBuffer: 4 << 20,
    nagle: false,
    delayedAckMs: 0,
    ...options,
  };
  const client = sim.addEndpoint({ address: '10.0.0.1', port: 40000, options: common });
  const server = sim.addEndpoint({ address: '10.0.0.2', port: 80, options: common });
  sim.listen(server);
  sim.connect(client, { address: '10.0.0.2', port: 80 });
  sim.runUntilIdle(1000);
  const size = 2 << 20;
  let sent = sim.sendData(client, new Uint8Array(size));
  let maxFlight = 0;
  let received = 0;
  const child = sim.endpointIds().find((id) => sim.endpointInfo(id).parentId === server) ?? '';
  const start = sim.nowUs;
  while (received < size && sim.nowUs - start < 120_000_000) {
    sim.advance(5);
    if (sent < size) sent += sim.sendData(client, new Uint8Array(size - sent));
    received += sim.receive(child).data.length;
    maxFlight = Math.max(maxFlight, sim.status(client).metrics.flightSize);
  }
  return { seconds: (sim.nowUs - start) / 1e6, maxFlight, received };
}

describe('a long fat link (200 ms RTT)', () => {
  it('with scaling, more than 64 KB is in flight; without, 64 KB per RTT caps the transfer', () => {
    const scaled = longFatTransfer({});
    const unscaled = longFatTransfer({ windowScale: false });
    expect(scaled.received).toBe(2 << 20);
    expect(unscaled.received).toBe(2 << 20);
    expect(scaled.maxFlight).toBeGreaterThan(65535);
    expect(unscaled.maxFlight).toBeLessThanOrEqual(65535);
    // 2 MB at 64 KB per 200 ms RTT takes at least 32 RTTs = 6.4 s.
    expect(unscaled.seconds).toBeGreaterThanOrEqual(6.4);
    expect(scaled.seconds).toBeLessThan(unscaled.seconds / 2);
  });
});
