import { describe, expect, it } from 'vitest';
import { localTarget } from './local-target.js';
import { parseScenario } from './parse.js';
import { playScenario, runScenario, ScenarioPlayer } from './run.js';

const HEAD = `name: t
title: T
description: d
link: { delayMs: 10 }
endpoints:
  client: { address: 10.0.0.1, port: 49152 }
  server: { address: 10.0.0.2, port: 80 }
`;
const run = (text: string) => runScenario(parseScenario(text), localTarget());

describe('running scenarios', () => {
  it('reports each expectation that fails with what was expected and what was seen', async () => {
    const result = await run(`${HEAD}steps:
  - listen: server
  - connect: { endpoint: client, to: server }
  - run: 1000
  - expect:
      endpoints:
        client: { state: SYN-SENT, counters: { retransmissions: { min: 1 } } }
expect:
  segments:
    - client > server: S *
    - server > client: R *
    - '...'
  endpoints:
    server#1: { states: [SYN-RECEIVED, ESTABLISHED], tcb: { rcvWnd: { max: 100 } } }
`);
    expect(result.passed).toBe(false);
    expect(result.checks.filter((c) => !c.ok)).toEqual([
      {
        at: 'step 4 (expect)',
        what: 'client state',
        ok: false,
        expected: 'SYN-SENT',
        actual: 'ESTABLISHED',
      },
      {
        at: 'step 4 (expect)',
        what: 'client counters.retransmissions',
        ok: false,
        expected: '>= 1',
        actual: '0',
      },
      { at: 'expect', what: 'server#1 tcb.rcvWnd', ok: false, expected: '<= 100', actual: '65535' },
      {
        at: 'expect',
        what: 'segment 2',
        ok: false,
        expected: 'server > client: R *',
        actual: '@10 server > client: S. 0:0(0) ack 1 win 65535 <mss 1460>',
      },
    ]);
    expect(result.segments.map((s) => s.line)).toEqual([
      'client > server: S 0:0(0) win 65535 <mss 1460>',
      'server > client: S. 0:0(0) ack 1 win 65535 <mss 1460>',
      'client > server: . ack 1 win 65535',
    ]);
  });

  it('checks a refusal a step expects, and stops at one it did not', async () => {
    const expected = await run(`${HEAD}steps:
  - send: { endpoint: client, data: x, error: ENOTCONN }
  - listen: { endpoint: server, error: EISCONN }
`);
    expect(expected.checks).toEqual([
      {
        at: 'step 1 (send client)',
        what: 'send client refused',
        ok: true,
        expected: 'ENOTCONN',
        actual: 'ENOTCONN',
      },
      {
        at: 'step 2 (listen server)',
        what: 'listen server refused',
        ok: false,
        expected: 'EISCONN',
        actual: 'accepted',
      },
    ]);
    const stopped = await run(`${HEAD}steps:
  - send: { endpoint: client, data: x }
  - listen: server
`);
    expect(stopped.passed).toBe(false);
    expect(stopped.error).toBe(
      'step 1 (send client): send client was refused: ENOTCONN (send is not possible in CLOSED (e1))',
    );
  });

  it('changes options of a live endpoint, and checks a change the connection refuses', async () => {
    const result = await run(`${HEAD}steps:
  - listen: server
  - setOptions: { endpoint: server, options: { mss: 1000 } }
  - connect: { endpoint: client, to: server }
  - setOptions: { endpoint: client, options: { mss: 536 }, error: EINVAL }
  - setOptions: { endpoint: client, options: { nagle: false } }
  - run: 1000
`);
    expect(result.checks).toEqual([
      {
        at: 'step 4 (setOptions client)',
        what: 'setOptions client refused',
        ok: true,
        expected: 'EINVAL',
        actual: 'EINVAL',
      },
    ]);
    expect(result.passed).toBe(true);
    // The listener's MSS, changed before the SYN came, is the one its SYN-ACK offers.
    expect(result.segments.map((s) => s.line)).toEqual([
      'client > server: S 0:0(0) win 65535 <mss 1460>',
      'server > client: S. 0:0(0) ack 1 win 65535 <mss 1000>',
      'client > server: . ack 1 win 65535',
    ]);
    const stopped = await run(`${HEAD}steps:
  - listen: server
  - connect: { endpoint: client, to: server }
  - setOptions: { endpoint: client, options: { sack: true } }
`);
    expect(stopped.error).toBe(
      'step 3 (setOptions client): setOptions client was refused: EINVAL (sack cannot change once connected (the endpoint is SYN-SENT))',
    );
  });

  it('names an accepted connection that does not exist', async () => {
    const result = await run(`${HEAD}steps:
  - listen: server
  - close: server#2
`);
    expect(result.error).toBe(
      'step 2 (close server#2): server#2: server accepted 0 connection(s), not 2',
    );
  });

  it('checks what a receive returns and what the application read in all', async () => {
    const result = await run(`${HEAD}steps:
  - listen: server
  - connect: { endpoint: client, to: server }
  - run: 1000
  - send: { endpoint: client, data: "hello, " }
  - send: { endpoint: client, data: "world" }
  - run: 1000
  - receive: { endpoint: server#1, max: 3, expect: hel }
  - receive: { endpoint: server#1, expect: "lo, world!" }
expect:
  endpoints:
    server#1: { received: "hello, world" }
`);
    expect(result.checks.map((c) => [c.what, c.ok, c.actual])).toEqual([
      ['receive server#1', true, '"hel"'],
      ['receive server#1', false, '"lo, world"'],
      ['server#1 received', true, '"hello, world"'],
    ]);
  });

  it('is deterministic: the same scenario gives the same trace and capture, byte for byte', async () => {
    const text = `${HEAD}link: { delayMs: 5, lossRate: 0.1, jitterMs: 3 }
steps:
  - listen: server
  - connect: { endpoint: client, to: server }
  - run: 10000
  - send: { endpoint: client, bytes: 50000 }
  - run: 60000
`.replace('link: { delayMs: 10 }\n', '');
    const [a, b] = await Promise.all(
      [1, 2].map(() => playScenario(parseScenario(text), localTarget())),
    );
    expect(JSON.stringify(a?.result.segments)).toBe(JSON.stringify(b?.result.segments));
    expect(
      Buffer.from((await a?.pcapng()) ?? []).equals(Buffer.from((await b?.pcapng()) ?? [])),
    ).toBe(true);
    expect(a?.result.segments.length).toBeGreaterThan(50);
  });
});

describe('a scenario one step at a time', () => {
  it('opens the session with its endpoints, then runs a step per call, then the final checks', async () => {
    const player = await ScenarioPlayer.open(
      parseScenario(`${HEAD}steps:
  - note: The server listens.
  - listen: server
  - connect: { endpoint: client, to: server }
  - run: 1000
expect:
  endpoints:
    client: { state: ESTABLISHED }
`),
      localTarget(),
    );
    const states = async () => (await player.session.endpoints()).map((e) => e.state);
    expect(await states()).toEqual(['CLOSED', 'CLOSED']);
    const seen: (string | undefined)[] = [];
    while (!player.done) {
      seen.push(player.next?.text);
      await player.step();
      seen.push((await states()).join(' '));
    }
    expect(seen).toEqual([
      'The server listens.',
      'CLOSED CLOSED',
      'listen server',
      'CLOSED LISTEN',
      'connect client',
      'SYN-SENT LISTEN',
      'run 1000',
      'ESTABLISHED LISTEN ESTABLISHED',
      undefined,
      'ESTABLISHED LISTEN ESTABLISHED',
    ]);
    expect(player.checks).toMatchObject([{ what: 'client state', ok: true }]);
    expect((await player.result()).passed).toBe(true);
  });
});
