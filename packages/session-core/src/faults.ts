/**
 * Fault rules and hand-made segments, from the API's bodies to the commands of the log: what
 * the service's routes and the in-process runner both check and build, and the rule as the
 * API shows it.
 */
import { Problems, type CreateFault, type Fault, type Inject } from '@tcplab/contract';
import {
  encodedOptionsLength,
  MAX_OPTIONS_LENGTH,
  parseFlags,
  type FaultMatch,
  type FaultRule,
  type Simulation,
  type TcpOptions,
} from '@tcplab/engine';
import type { SessionCommand } from './commands.js';
import type { Refusal } from './refusals.js';

type SocketAddress = { address: string; port: number };
type Party = string | SocketAddress;

/** A body the schema took but the API does not: 400, naming the field. */
function invalid(detail: string, path: string, message: string): Refusal {
  return { problem: Problems.validationFailed, detail, errors: [{ path, message }] };
}

function badFlags(flags: string | undefined): Refusal | undefined {
  return flags !== undefined && parseFlags(flags) === undefined
    ? invalid(
        `"${flags}" is not a set of tcpdump flags`,
        '/body/flags',
        'is not a set of tcpdump flags',
      )
    : undefined;
}

/**
 * The addFault command for a rule; an endpoint id in `from` or `to` is resolved to its address
 * and port as they are now (the log must not depend on ids). `session` names the session in a
 * refusal.
 */
export function faultCommand(
  sim: Simulation,
  body: CreateFault,
  session: string,
): { command: SessionCommand } | { refusal: Refusal } {
  const { match, action, delayMs } = body;
  if (action === 'delay' && delayMs === undefined) {
    return {
      refusal: invalid(
        'a delay rule needs delayMs',
        '/body/delayMs',
        'is required when action is delay',
      ),
    };
  }
  const flags = badFlags(match.flags);
  if (flags !== undefined) return { refusal: flags };
  const resolve = (party: Party | undefined): SocketAddress | Refusal | undefined => {
    if (party === undefined || typeof party !== 'string') return party;
    if (!sim.endpointIds().includes(party)) {
      return { problem: Problems.notFound, detail: `no endpoint ${party} in session ${session}` };
    }
    return sim.endpointInfo(party).local;
  };
  const from = resolve(match.from);
  const to = resolve(match.to);
  if (from !== undefined && 'problem' in from) return { refusal: from };
  if (to !== undefined && 'problem' in to) return { refusal: to };
  const resolved: FaultMatch = {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(match.flags === undefined ? {} : { flags: match.flags }),
    ...(match.nth === undefined ? {} : { nth: match.nth }),
    ...(match.count === undefined ? {} : { count: match.count }),
  };
  return {
    command: {
      kind: 'addFault',
      match: resolved,
      action,
      ...(delayMs === undefined ? {} : { delayMs }),
    },
  };
}

/** The inject command for a hand-made segment: the payload as base64, the API's defaults. */
export function injectCommand(body: Inject): { command: SessionCommand } | { refusal: Refusal } {
  const flags = badFlags(body.flags);
  if (flags !== undefined) return { refusal: flags };
  if (body.data !== undefined && body.base64 !== undefined) {
    return {
      refusal: invalid(
        'give data or base64, not both',
        '/body/base64',
        'must not be given with data',
      ),
    };
  }
  const options = (body.options ?? {}) as TcpOptions;
  const optionBytes = encodedOptionsLength(options);
  if (optionBytes > MAX_OPTIONS_LENGTH) {
    // RFC 9293 §3.1: the data offset leaves at most 40 bytes of options.
    return {
      refusal: invalid(
        `the options take ${optionBytes} bytes; a TCP header holds at most ${MAX_OPTIONS_LENGTH}`,
        '/body/options',
        `must fit in ${MAX_OPTIONS_LENGTH} bytes`,
      ),
    };
  }
  const base64 =
    body.data === undefined
      ? (body.base64 ?? '')
      : Buffer.from(body.data, 'utf8').toString('base64');
  return {
    command: {
      kind: 'inject',
      segment: {
        src: body.src,
        dst: body.dst,
        flags: body.flags,
        seq: body.seq,
        ack: body.ack ?? 0,
        window: body.window ?? 65_535,
        base64,
        options,
        ...(body.ecn === undefined ? {} : { ecn: body.ecn }),
      },
    },
  };
}

/** A fault rule as the API shows it. */
export function faultView(rule: FaultRule): Fault {
  return {
    id: rule.id,
    match: rule.match,
    action: rule.action,
    ...(rule.delayMs === undefined ? {} : { delayMs: rule.delayMs }),
    seen: rule.seen,
    applied: rule.applied,
  };
}
