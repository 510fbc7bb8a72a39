import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './parse.js';

const HEAD = `name: x
title: X
description: d
endpoints:
  client: { address: 10.0.0.1, port: 1000 }
  server: { address: 10.0.0.2, port: 80 }
`;

/** The problems parseScenario reports for `text`, as `line: path: message`. */
function problems(text: string): string[] {
  try {
    parseScenario(text, 'x.yaml');
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return error.problems.map((p) => `${p.line ?? '?'}: ${p.path}: ${p.message}`);
  }
  return [];
}

describe('reading scenario files', () => {
  it('reads a scenario, its steps and its expectations', () => {
    const s = parseScenario(
      `${HEAD}steps:
  - listen: server
  - connect: { endpoint: client, to: server }
  - run: 1000
expect:
  segments:
    - client > server: S 0:0(0) *
  endpoints:
    server#1: { state: ESTABLISHED }
`,
    );
    expect(s.steps).toEqual([
      { listen: 'server' },
      { connect: { endpoint: 'client', to: 'server' } },
      { run: 1000 },
    ]);
    expect(s.expect?.segments).toEqual([{ 'client > server': 'S 0:0(0) *' }]);
  });

  it('reads JSON as well', () => {
    const s = parseScenario(
      JSON.stringify({
        name: 'j',
        title: 'J',
        description: 'd',
        endpoints: { a: { address: '10.0.0.1', port: 1 } },
        steps: [{ listen: 'a' }],
      }),
      'j.json',
    );
    expect(s.name).toBe('j');
  });

  it('names the line and the field of each mistake', () => {
    expect(
      problems(`${HEAD}steps:
  - listen: server
  - connect: { endpoint: client, to: sever }
  - jump: 3
  - send: { endpoint: client, data: a, bytes: 3 }
  - run: -5
`),
    ).toEqual([
      '9: steps/1/connect/to: no endpoint named sever',
      '10: steps/2: unknown step "jump" (known: note, listen, connect, send, receive, shutdown, close, abort, setOptions, fault, removeFault, inject, link, step, advance, at, run, expect)',
      '11: steps/3/send: give exactly one of data, base64 and bytes',
      '12: steps/4/run: must be > 0',
    ]);
  });

  it('refuses a step with two keys, an unknown field, and an unknown fault', () => {
    expect(
      problems(`${HEAD}steps:
  - { listen: server, close: client }
  - connect: { endpoint: client, to: server, speed: 3 }
  - removeFault: nope
`),
    ).toEqual([
      '8: steps/0: a step has exactly one key (got 2: listen, close)',
      '9: steps/1/connect: unknown field "speed"',
      '10: steps/2/removeFault: no fault named nope before this step',
    ]);
  });

  it('takes in setOptions only options a live endpoint takes, naming the others at their line', () => {
    expect(
      problems(`${HEAD}steps:
  - setOptions: { endpoint: client, options: { nagle: false } }
  - setOptions: { endpoint: client, options: { congestion: cubic } }
  - setOptions: { endpoint: client, options: {} }
  - setOptions: { endpoint: ghost, options: { nagle: false } }
`),
    ).toEqual([
      '9: steps/1/setOptions/options: unknown field "congestion"',
      '10: steps/2/setOptions/options: must not have fewer than 1 properties',
      '11: steps/3/setOptions/endpoint: no endpoint named ghost',
    ]);
  });

  it('checks the top level and the final expectations', () => {
    expect(
      problems(`name: Bad Name\ntitle: T\ndescription: d\nendpoints: {}\nsteps: []\n`),
    ).toEqual([
      '1: name: must match pattern "^[a-z0-9][a-z0-9-]{0,63}$"',
      '4: endpoints: must not have fewer than 1 properties',
    ]);
    expect(
      problems(`${HEAD}steps: []
expect:
  endpoints:
    ghost: { state: CLOSED }
    client: { state: OPEN }
`),
    ).toEqual([
      '10: expect/endpoints/ghost: no endpoint named ghost',
      '11: expect/endpoints/client/state: must be equal to one of the allowed values',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems(`${HEAD}steps:\n  - listen: [server\n`)[0]).toMatch(
      /^9: : Flow sequence in block collection/,
    );
  });
});
