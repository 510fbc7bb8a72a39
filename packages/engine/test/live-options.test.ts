// Options changed on a live endpoint (Connection.setOptions, as setsockopt): what may change
// once connected takes effect at once, the rest is refused with OptionChangeError.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.js';
import { OptionChangeError } from '../src/tcp/live-options.js';
import { accepted, ack, DATA, PEER_NEXT, sent } from './linux-peer.js';
import { Lone, PEER } from './lone.js';

const LINUX = { rtoMinMs: 200, initialWindow: 10, delayedAckMs: 0 } as const;

describe('setOptions', () => {
  it('turning Nagle off sends what Nagle holds, at once', () => {
    const t = accepted(LINUX);
    t.sim.sendData(t.id, new Uint8Array(1000));
    t.sim.sendData(t.id, new Uint8Array(100)); // small, with data in flight: Nagle holds it
    expect(sent(t, true)).toEqual(['100 P. 1001:2001(1000)']);
    t.wait(50);
    t.sim.setOptions(t.id, { nagle: false });
    expect(sent(t, true)).toEqual(['150 P. 2001:2101(100)']);
  });

  it("a larger receive buffer shows in the next ACK's window (within the agreed scale)", () => {
    const t = accepted({ ...LINUX, rcvBuffer: 8192 }); // window scale 8 offered and agreed
    t.send({ flags: 'P.', seq: PEER_NEXT, ack: DATA, data: 'x'.repeat(100) });
    expect(t.replies()).toEqual(['. ack 201 win 31']);
    t.sim.setOptions(t.id, { rcvBuffer: 1 << 20 });
    t.send({ flags: 'P.', seq: PEER_NEXT + 100, ack: DATA, data: 'x'.repeat(100) });
    // 1 MB less 200 bytes, in units of 256: more than the field's 65535 can say.
    expect(t.replies()).toEqual(['. ack 301 win 4095']);
  });

  it("a smaller receive buffer never moves the window's right edge left", () => {
    const t = accepted(LINUX); // rcvBuffer 65535, window scale 8
    t.sim.setOptions(t.id, { rcvBuffer: 4096 });
    t.send({ flags: 'P.', seq: PEER_NEXT, ack: DATA, data: 'x'.repeat(1000) });
    // 65535 - 1000 bytes still offered (the edge stays), not 4096 - 1000.
    expect(t.replies()).toEqual(['. ack 1101 win 252']);
  });

  it('refuses what was agreed in the SYNs, naming it, and changes nothing', () => {
    const t = accepted(LINUX);
    const before = t.sim.connection(t.id).options;
    let error: unknown;
    try {
      t.sim.setOptions(t.id, { nagle: false, mss: 536, windowScale: 2, timestamps: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionChangeError);
    expect((error as OptionChangeError).code).toBe('OPTION_FIXED');
    expect((error as OptionChangeError).options).toEqual(['mss', 'windowScale']);
    expect(t.sim.connection(t.id).options).toBe(before);
  });

  it('takes any option before connecting: the MSS set then is the one the SYN offers', () => {
    const sim = new Simulation({ seed: 1, link: { delayMs: 0 } });
    const id = sim.addEndpoint({ address: '10.0.0.1', port: 80, options: { isn: 1000 } });
    sim.setOptions(id, { mss: 1100 });
    const t = new Lone(sim, id);
    sim.connect(id, PEER);
    expect(t.replies()).toEqual(['S 1000:1000(0) win 65535 <mss 1100>']);
  });

  it('a smaller send buffer keeps what is queued and takes no more until it drains', () => {
    const t = accepted({ ...LINUX, sndBuffer: 10_000 });
    t.sim.sendData(t.id, new Uint8Array(1000));
    t.sim.setOptions(t.id, { sndBuffer: 500 });
    expect(t.sim.sendData(t.id, new Uint8Array(100))).toBe(0);
    ack(t, DATA + 1000);
    expect(t.sim.sendData(t.id, new Uint8Array(800))).toBe(500);
  });

  it('keep-alive turned on starts the idle time now; turned off stops it', () => {
    const t = accepted(LINUX);
    t.wait(900); // 1000 ms
    t.sim.setOptions(t.id, { keepalive: { idleMs: 2000, intervalMs: 1000, probes: 3 } });
    t.wait(1999);
    expect(t.replies()).toEqual([]);
    t.wait(1);
    expect(t.replies()).toEqual(['. ack 101 win 255']);
    t.sim.setOptions(t.id, { keepalive: false });
    t.wait(60_000);
    expect(t.replies()).toEqual([]);
    expect(t.state()).toBe('ESTABLISHED');
  });
});
