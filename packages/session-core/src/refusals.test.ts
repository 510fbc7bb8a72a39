import { Simulation, SimulationError } from '@tcplab/engine';
import { describe, expect, it } from 'vitest';
import { receiveRefusal, refusalOf, type SocketCall } from './refusals.js';

/** What the engine throws for `call` on a fresh endpoint in `state`, as the API answers it. */
function refusedCode(call: SocketCall, state: string): string | undefined {
  const error = new SimulationError('INVALID_STATE', `${call} is not possible in ${state}`);
  return refusalOf(error, call, state)?.problem.code;
}

describe('engine refusals as socket errors', () => {
  it.each([
    ['connect', 'SYN-SENT', 'EALREADY'],
    ['connect', 'SYN-RECEIVED', 'EALREADY'],
    ['connect', 'ESTABLISHED', 'EISCONN'],
    ['listen', 'ESTABLISHED', 'EINVAL'],
    ['send', 'CLOSED', 'ENOTCONN'],
    ['send', 'LISTEN', 'ENOTCONN'],
    ['send', 'FIN-WAIT-1', 'EPIPE'],
    ['shutdown', 'CLOSED', 'ENOTCONN'],
    ['close', 'TIME-WAIT', 'ENOTCONN'],
  ] as const)('%s in %s is %s, with the state', (call, state, code) => {
    expect(refusedCode(call, state)).toBe(code);
    const error = new SimulationError('INVALID_STATE', 'no');
    expect(refusalOf(error, call, state)?.state).toBe(state);
  });

  it('names a taken port, an unknown endpoint and a bad address as the engine says', () => {
    const sim = new Simulation({ seed: 1 });
    // A closed endpoint holds no port (as an unbound socket); a listening one does.
    sim.listen(sim.addEndpoint({ address: '10.0.0.1', port: 80 }));
    const caught = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return refusalOf(error, 'create', undefined);
      }
      throw new Error('did not throw');
    };
    expect(caught(() => sim.addEndpoint({ address: '10.0.0.1', port: 80 }))).toMatchObject({
      problem: { code: 'EADDRINUSE', status: 409 },
      detail: '10.0.0.1:80 is in use by e1',
    });
    expect(caught(() => sim.listen('e9'))?.problem.code).toBe('NOT_FOUND');
    expect(caught(() => sim.addEndpoint({ address: '10.0.0', port: 80 }))?.problem.code).toBe(
      'BAD_REQUEST',
    );
  });

  it('leaves errors that are not engine refusals alone', () => {
    expect(refusalOf(new Error('boom'), 'send', 'ESTABLISHED')).toBeUndefined();
  });

  it('refuses a receive on an endpoint that never had a connection, as Linux does', () => {
    expect(receiveRefusal('LISTEN', false)?.problem.code).toBe('ENOTCONN');
    expect(receiveRefusal('CLOSED', false)?.problem.code).toBe('ENOTCONN');
    // A connection that ended still hands over what it received.
    expect(receiveRefusal('CLOSED', true)).toBeUndefined();
    expect(receiveRefusal('ESTABLISHED', true)).toBeUndefined();
  });
});
