/**
 * setsockopt() on a live endpoint, from the API's body to the command of the log. The service's
 * route checks the body against EndpointOptionsChange (only CHANGEABLE_OPTIONS, each in its
 * range, at least one); the in-process runner, with no route in front of it, checks it here
 * against the same schema and refuses it the same way (400, each offending field named).
 */
import { EndpointOptionsChange, Problems, type EndpointOptions } from '@tcplab/contract';
import { Compile } from 'typebox/compile';
import type { SessionCommand } from './commands.js';
import type { Refusal } from './refusals.js';

const check = Compile(EndpointOptionsChange);

/** The setOptions command for `options`, or the 400 the service's schema answers. */
export function optionsCommand(
  endpointId: string,
  options: EndpointOptions,
): { command: SessionCommand } | { refusal: Refusal } {
  if (check.Check(options)) return { command: { kind: 'setOptions', endpointId, options } };
  // An unknown field is reported twice, as additionalProperties and as its `false` schema.
  const errors = check
    .Errors(options)
    .filter((e) => e.keyword !== 'boolean' && e.keyword !== 'anyOf')
    .map((e) => {
      // An unknown field: point at it, as the service does, not at the object that holds it.
      const unknown = (e.params as { additionalProperties?: string[] }).additionalProperties?.[0];
      return e.keyword === 'additionalProperties' && unknown !== undefined
        ? { path: `/body/${unknown}`, message: 'is not a known field' }
        : { path: `/body${e.instancePath}`, message: e.message };
    });
  return {
    refusal: {
      problem: Problems.validationFailed,
      detail: errors.map((e) => `${e.path} ${e.message}`).join('; '),
      errors,
    },
  };
}
