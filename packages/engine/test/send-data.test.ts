// SEND copies the application's bytes unless the application hands its buffer over.
import { describe, expect, it } from 'vitest';
import { decode, pair, SERVER, text } from './harness.js';

function connected() {
  const p = pair();
  p.sim.listen(p.server);
  p.sim.connect(p.client, SERVER);
  p.run(100);
  return p;
}

describe('sendData', () => {
  it('copies the bytes: changing the buffer afterwards changes nothing that is sent', () => {
    const p = connected();
    const buffer = text('hello');
    p.sim.sendData(p.client, buffer);
    buffer.fill(0x78);
    p.run(100);
    const received = p.sim.receive(p.accepted()).data;
    expect(decode(received)).toBe('hello');
    expect(received.buffer).not.toBe(buffer.buffer);
  });

  it('with transfer, queues the buffer itself: the receiver reads the very same bytes', () => {
    const p = connected();
    const buffer = text('hello, world');
    expect(p.sim.sendData(p.client, buffer, { transfer: true })).toBe(12);
    p.run(100);
    const received = p.sim.receive(p.accepted()).data;
    expect(decode(received)).toBe('hello, world');
    expect(received.buffer).toBe(buffer.buffer);
  });

  it('heldBytes counts what the endpoints hold: queued until acknowledged, then received until read', () => {
    const p = connected();
    expect(p.sim.heldBytes()).toBe(0);
    p.sim.sendData(p.client, new Uint8Array(3000));
    expect(p.sim.heldBytes()).toBe(3000);
    // Delivered and acknowledged: the sender lets go, the receiver holds it until it is read.
    p.run(1000);
    expect(p.sim.status(p.client).buffered.send).toBe(0);
    expect(p.sim.heldBytes()).toBe(3000);
    p.sim.receive(p.accepted(), 1000);
    expect(p.sim.heldBytes()).toBe(2000);
  });
});
