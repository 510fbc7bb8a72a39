import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { Scenario, ScenarioStep, STEP_KINDS } from './scenario.js';

describe('the scenario schema', () => {
  it('has a branch of ScenarioStep for every kind of step, and none else', () => {
    const branches = ScenarioStep.anyOf.map((branch) => Object.keys(branch.properties));
    expect(branches).toEqual(STEP_KINDS.map((kind) => [kind]));
  });

  it('takes a scenario with every kind of step, and refuses one with an unknown step', () => {
    const scenario = {
      name: 'all-steps',
      title: 'Every step',
      description: 'd',
      endpoints: { a: { address: '10.0.0.1', port: 1 }, b: { address: '10.0.0.2', port: 2 } },
      steps: [
        { note: 'hello' },
        { listen: 'b' },
        { connect: { endpoint: 'a', to: 'b' } },
        { send: { endpoint: 'a', data: 'x' } },
        { receive: 'b#1' },
        { shutdown: 'a' },
        { close: { endpoint: 'b#1', error: 'ENOTCONN' } },
        { abort: 'a' },
        { setOptions: { endpoint: 'a', options: { nagle: false } } },
        { fault: { name: 'f', match: { from: 'a', flags: 'F.' }, action: 'drop' } },
        { removeFault: 'f' },
        { inject: { src: { address: '10.0.0.9', port: 9 }, dst: 'b', flags: 'S', seq: 0 } },
        { link: { delayMs: 5 } },
        { step: 1 },
        { advance: 10 },
        { at: 100 },
        { run: 1000 },
        { expect: { endpoints: { a: { state: 'CLOSED' } }, segments: ['...'] } },
      ],
    };
    expect([...Value.Errors(Scenario, scenario)]).toEqual([]);
    expect(Value.Check(Scenario, { ...scenario, steps: [{ jump: 3 }] })).toBe(false);
  });

  it('takes in a setOptions step only options a live endpoint takes, at least one', () => {
    const step = (options: object) => ({ setOptions: { endpoint: 'a', options } });
    expect(Value.Check(ScenarioStep, step({ nagle: false, sndBuffer: 4096 }))).toBe(true);
    // Congestion control is chosen when the endpoint is made, not changed on a live one.
    expect(Value.Check(ScenarioStep, step({ congestion: 'cubic' }))).toBe(false);
    expect(Value.Check(ScenarioStep, step({}))).toBe(false);
    expect(Value.Check(ScenarioStep, step({ sndBuffer: 0 }))).toBe(false);
  });
});
