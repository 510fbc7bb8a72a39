import { describe, expect, it } from 'vitest';
import { decode, pair, SERVER, text } from './harness.js';

describe('end to end', () => {
  it('handshake, data, close', () => {
    const p = pair({ client: { delayedAckMs: 0 }, server: { delayedAckMs: 0 } });
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    p.run();
    p.sim.sendData(p.client, text('hello'));
    p.run();
    const child = p.accepted();
    expect(decode(p.sim.receive(child).data)).toBe('hello');
    p.sim.close(p.client);
    p.run(1000);
    p.sim.close(child);
    p.run();
    console.log(p.lines().join('\n'));
    console.log(p.states(p.client).join(' '), '|', p.states(child).join(' '));
  });
});
