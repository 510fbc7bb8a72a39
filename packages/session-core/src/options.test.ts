import { CHANGEABLE_OPTIONS, type EndpointOptions } from '@tcplab/contract';
import { LIVE_OPTIONS, Simulation } from '@tcplab/engine';
import { describe, expect, it } from 'vitest';
import { applyNow } from './commands.js';
import { optionsCommand } from './options.js';
import { refusalOf } from './refusals.js';

/** A client (e2) connected to a server (e1), 10 ms apart. */
function connected(): Simulation {
  const sim = new Simulation({ seed: 1, link: { delayMs: 10 } });
  sim.addEndpoint({ address: '10.0.0.2', port: 80 });
  sim.addEndpoint({ address: '10.0.0.1', port: 49152 });
  sim.listen('e1');
  sim.connect('e2', { address: '10.0.0.2', port: 80 });
  sim.runUntilIdle(1000);
  return sim;
}

/** What the API answers for `change` on the connected client: 'ok' or the problem's code. */
function answer(sim: Simulation, change: EndpointOptions): string {
  const built = optionsCommand('e2', change);
  if ('refusal' in built) return built.refusal.problem.code;
  try {
    applyNow(sim, built.command, sim.nowUs);
    return 'ok';
  } catch (error) {
    return refusalOf(error, 'setOptions', undefined)?.problem.code ?? 'thrown';
  }
}

/** A value each changeable option takes that differs from the default. */
const VALUES: Record<(typeof CHANGEABLE_OPTIONS)[number], EndpointOptions> = {
  nagle: { nagle: false },
  cork: { cork: true },
  pushFlag: { pushFlag: 'linux' },
  userTimeoutMs: { userTimeoutMs: 5000 },
  sndBuffer: { sndBuffer: 4096 },
  rcvBuffer: { rcvBuffer: 4096 },
  keepalive: { keepalive: { idleMs: 1000, intervalMs: 1000, probes: 3 } },
  mss: { mss: 536 },
  windowScale: { windowScale: 2 },
  sack: { sack: true },
  timestamps: { timestamps: true },
  isn: { isn: 7 },
};

describe('options changed on a live endpoint', () => {
  it('the API names every option the engine changes once connected; the others are EINVAL then', () => {
    expect(CHANGEABLE_OPTIONS).toEqual(expect.arrayContaining([...LIVE_OPTIONS]));
    for (const option of CHANGEABLE_OPTIONS) {
      const expected = LIVE_OPTIONS.includes(option) ? 'ok' : 'EINVAL';
      expect([option, answer(connected(), VALUES[option])]).toEqual([option, expected]);
    }
  });

  it('refuses as the route schema does: an unknown option, a value out of range, nothing at all', () => {
    const refused = (change: object) => {
      const built = optionsCommand('e2', change);
      return 'refusal' in built ? built.refusal : undefined;
    };
    expect(refused({ congestion: 'cubic' })).toMatchObject({
      problem: { code: 'VALIDATION_FAILED', status: 400 },
      detail: '/body/congestion is not a known field',
      errors: [{ path: '/body/congestion', message: 'is not a known field' }],
    });
    expect(refused({ sndBuffer: 0 })?.errors).toEqual([
      { path: '/body/sndBuffer', message: 'must be >= 1' },
    ]);
    expect(refused({})?.problem.code).toBe('VALIDATION_FAILED');
    expect(refused({ nagle: false })).toBeUndefined();
  });

  it('a refusal names each option the connection cannot change, with its state', () => {
    const sim = connected();
    let error: unknown;
    try {
      sim.setOptions('e2', { nagle: false, mss: 536, sack: true });
    } catch (e) {
      error = e;
    }
    expect(refusalOf(error, 'setOptions', undefined)).toMatchObject({
      problem: { code: 'EINVAL', status: 409 },
      detail: 'mss, sack cannot change once connected (the endpoint is ESTABLISHED)',
      state: 'ESTABLISHED',
      errors: [
        { path: '/body/mss', message: 'cannot change once connected (ESTABLISHED)' },
        { path: '/body/sack', message: 'cannot change once connected (ESTABLISHED)' },
      ],
    });
  });
});
