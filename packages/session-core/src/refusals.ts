/**
 * The engine's refusals as the API answers them: a call TCP refuses is a 409 named like the
 * socket error a program would get from the same call (Linux's errno; an option a connection
 * cannot change is EINVAL), an unknown endpoint a 404, a malformed address a 400. The service sends them as problem+json; the in-process runner
 * raises the same problems, so that a scenario reads the same either way.
 */
import { Problems, type ProblemInit } from '@tcplab/contract';
import { OptionChangeError, SimulationError } from '@tcplab/engine';

/** The calls the API makes on an endpoint. */
export type SocketCall =
  | 'create'
  | 'listen'
  | 'connect'
  | 'send'
  | 'receive'
  | 'shutdown'
  | 'close'
  | 'abort'
  | 'setOptions';

/** A refusal: its problem type, what went wrong, and the endpoint's state when it matters. */
export interface Refusal {
  problem: ProblemInit;
  detail: string;
  state?: string;
  /** For a 400: the offending fields. */
  errors?: { path: string; message: string }[];
}

const CONNECTING = new Set(['SYN-SENT', 'SYN-RECEIVED']);
const UNCONNECTED = new Set(['CLOSED', 'LISTEN']);

function refusalOfState(call: SocketCall, state: string): ProblemInit {
  switch (call) {
    case 'connect':
      return CONNECTING.has(state) ? Problems.already : Problems.isConnected;
    case 'listen':
      return Problems.invalid;
    case 'send':
      return UNCONNECTED.has(state) ? Problems.notConnected : Problems.brokenPipe;
    default:
      return Problems.notConnected;
  }
}

/** What the engine threw, as a refusal; undefined for anything that is not an engine refusal. */
export function refusalOf(
  error: unknown,
  call: SocketCall,
  state: string | undefined,
): Refusal | undefined {
  if (error instanceof OptionChangeError) {
    // setsockopt() of an option the connection has settled: EINVAL, with the state it is in,
    // each option refused named as a field of the request.
    return {
      problem: Problems.invalid,
      detail: error.message,
      state: error.state,
      errors: error.options.map((option) => ({
        path: `/body/${option}`,
        message: `cannot change once connected (${error.state})`,
      })),
    };
  }
  if (!(error instanceof SimulationError)) return undefined;
  switch (error.code) {
    case 'NO_SUCH_ENDPOINT':
      return { problem: Problems.notFound, detail: error.message };
    case 'BAD_ADDRESS':
      return { problem: Problems.badRequest, detail: error.message };
    case 'PORT_IN_USE':
      return { problem: Problems.addressInUse, detail: error.message };
    case 'CONNECTION_CLOSING':
      return { problem: Problems.brokenPipe, detail: error.message };
    case 'INVALID_STATE':
      return {
        problem: refusalOfState(call, state ?? 'CLOSED'),
        detail: error.message,
        ...(state === undefined ? {} : { state }),
      };
  }
}

/**
 * A receive on an endpoint that never had a connection: Linux answers recv() on it with
 * ENOTCONN; the engine would return nothing, so it is refused before the engine is asked.
 */
export function receiveRefusal(state: string, hasRemote: boolean): Refusal | undefined {
  if (state === 'LISTEN' || (state === 'CLOSED' && !hasRemote)) {
    return { problem: Problems.notConnected, detail: `receive is not possible in ${state}`, state };
  }
  return undefined;
}
