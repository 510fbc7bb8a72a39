/** Why each segment was sent: the labels the engine puts on the segments it knows to be special. */
import { describe, expect, it } from 'vitest';
import { formatSegment } from '../src/trace/format.js';
import { pair, SERVER, CLIENT, type Pair } from './harness.js';
import { established } from './lone.js';

/** The labelled segments so far: direction, segment, label. */
function labelled(p: Pair): string[] {
  p.lines();
  return p.trace.flatMap((e) =>
    e.kind === 'segment' && e.label !== undefined
      ? [`${e.src.address === CLIENT.address ? '>' : '<'} ${formatSegment(e)} ${e.label}`]
      : [],
  );
}

function connected(options: Parameters<typeof pair>[0] = {}): Pair {
  const p = pair(options);
  p.sim.listen(p.server);
  p.sim.connect(p.client, SERVER);
  p.advance(100); // the handshake takes 30 ms
  return p;
}

describe('segment labels', () => {
  it('a data segment lost once is sent again at the RTO, labelled a retransmission', () => {
    const p = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.' }, 'drop');
    p.sim.sendData(p.client, new TextEncoder().encode('hello'));
    p.run();
    expect(labelled(p)).toEqual(['> P. 1001:1006(5) ack 5001 win 65535 retransmission']);
  });

  it('a lost SYN is sent again, labelled a retransmission', () => {
    const p = pair();
    p.sim.listen(p.server);
    p.sim.addFault({ from: CLIENT, flags: 'S' }, 'drop');
    p.sim.connect(p.client, SERVER);
    p.run();
    expect(labelled(p)).toEqual(['> S 1000:1000(0) win 65535 <mss 1460> retransmission']);
  });

  it.each(['newreno', 'reno', 'tahoe'] as const)(
    '%s: the third duplicate ACK brings the fast retransmission; the receiver labels its duplicate ACKs',
    (congestion) => {
      const p = connected({
        client: { congestion, initialWindow: 10 },
        server: { delayedAckMs: 0 },
      });
      p.sim.addFault({ from: CLIENT, flags: '.', nth: 2 }, 'drop');
      p.sim.sendData(p.client, new Uint8Array(8 * 1460));
      p.run();
      const labels = labelled(p);
      // Six segments arrive after the hole: six duplicate ACKs, each repeating ack 2461.
      expect(labels.filter((l) => l.endsWith('duplicate-ack'))).toEqual(
        Array.from({ length: 6 }, () => '< . ack 2461 win 64075 duplicate-ack'),
      );
      expect(labels.filter((l) => l.startsWith('>'))[0]).toBe(
        '> . 2461:3921(1460) ack 5001 win 65535 fast-retransmission',
      );
    },
  );

  it('a zero window is probed (window-probe), and the read that opens it sends a window update', () => {
    const p = connected({ server: { rcvBuffer: 2920 } });
    p.sim.sendData(p.client, new Uint8Array(5000));
    p.advance(3000);
    const child = p.accepted();
    p.sim.receive(child);
    p.advance(0);
    const labels = labelled(p);
    expect(labels.filter((l) => l.endsWith('window-probe')).length).toBeGreaterThanOrEqual(1);
    expect(labels.at(-1)).toBe('< . ack 3921 win 2920 window-update');
  });

  it('a keep-alive probe carries SND.NXT - 1 and is labelled', () => {
    const p = connected({ client: { keepalive: { idleMs: 1000, intervalMs: 500, probes: 2 } } });
    p.advance(1100);
    expect(labelled(p)).toEqual(['> . ack 5001 win 65535 keep-alive']);
    const probe = p.trace.find((e) => e.kind === 'segment' && e.label === 'keep-alive');
    expect(probe?.kind === 'segment' && probe.seq).toBe(1000);
  });

  it('TIME-WAIT acknowledges a retransmitted FIN again: a duplicate ACK', () => {
    const p = connected();
    const child = p.accepted();
    p.sim.close(p.client);
    p.run(100);
    p.sim.addFault({ from: CLIENT, flags: '.' }, 'drop');
    p.sim.close(child);
    p.run(2000);
    expect(labelled(p)).toEqual([
      '< F. 5001:5001(0) ack 1002 win 65535 retransmission',
      '> . ack 5002 win 65535 duplicate-ack',
    ]);
  });

  it('an in-window RST that is not exact gets a challenge ACK (RFC 5961 §3.2)', () => {
    const lone = established();
    lone.replies();
    lone.send({ flags: 'R', seq: 150 });
    lone.replies();
    const sent = lone.trace.filter((e) => e.kind === 'segment');
    expect(sent.at(-1)).toMatchObject({ flags: '.', label: 'challenge-ack' });
    expect(lone.state()).toBe('ESTABLISHED');
  });

  it('ordinary segments carry no label', () => {
    const p = connected();
    p.sim.sendData(p.client, new TextEncoder().encode('hello'));
    p.run();
    expect(labelled(p)).toEqual([]);
  });
});
