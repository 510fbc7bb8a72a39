/**
 * setsockopt() on a live endpoint, from the API's body to the command of the log: the service's
 * schema takes only the options a live endpoint takes (LIVE_OPTIONS); the in-process runner,
 * which has no schema in front of it, refuses the others here the same way.
 */
import { LIVE_OPTIONS, Problems, type EndpointOptions } from '@tcplab/contract';
import type { SessionCommand } from './commands.js';
import type { Refusal } from './refusals.js';

const LIVE = new Set<string>(LIVE_OPTIONS);

/** The setOptions command for `options`, or the 400 the service's schema answers. */
export function optionsCommand(
  endpointId: string,
  options: EndpointOptions,
): { command: SessionCommand } | { refusal: Refusal } {
  const names = Object.keys(options);
  const unknown = names.filter((name) => !LIVE.has(name));
  if (unknown.length > 0) {
    return {
      refusal: {
        problem: Problems.validationFailed,
        detail: `${unknown.join(', ')}: not an option a live endpoint takes (${LIVE_OPTIONS.join(', ')})`,
        errors: unknown.map((name) => ({ path: `/body/${name}`, message: 'is not a known field' })),
      },
    };
  }
  if (names.length === 0) {
    return {
      refusal: {
        problem: Problems.validationFailed,
        detail: 'name at least one option to change',
        errors: [{ path: '/body', message: 'must NOT have fewer than 1 properties' }],
      },
    };
  }
  // Every option named is one a live endpoint takes: the command's type holds them all.
  return { command: { kind: 'setOptions', endpointId, options } };
}
