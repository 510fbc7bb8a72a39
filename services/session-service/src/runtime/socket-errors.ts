/**
 * The engine's refusals as the API answers them: a call TCP refuses is a 409 named like the
 * socket error a program would get from the same call (Linux's errno), an unknown endpoint a
 * 404, a malformed address a 400.
 */
import { SimulationError } from '@tcplab/engine';
import { ApiProblem, Problems, type ProblemInit } from '../errors.js';

/** The calls the API makes on an endpoint. */
export type SocketCall =
  'create' | 'listen' | 'connect' | 'send' | 'receive' | 'shutdown' | 'close' | 'abort';

const CONNECTING = new Set(['SYN-SENT', 'SYN-RECEIVED']);
const UNCONNECTED = new Set(['CLOSED', 'LISTEN']);

function refusal(call: SocketCall, state: string): ProblemInit {
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

/** Translates what the engine threw; anything else is rethrown as it is. */
export function toApiProblem(error: unknown, call: SocketCall, state: string | undefined): never {
  if (!(error instanceof SimulationError)) throw error;
  switch (error.code) {
    case 'NO_SUCH_ENDPOINT':
      throw new ApiProblem(Problems.notFound, error.message);
    case 'BAD_ADDRESS':
      throw new ApiProblem(Problems.badRequest, error.message);
    case 'PORT_IN_USE':
      throw new ApiProblem(Problems.addressInUse, error.message);
    case 'CONNECTION_CLOSING':
      throw new ApiProblem(Problems.brokenPipe, error.message);
    case 'INVALID_STATE':
      throw new ApiProblem(refusal(call, state ?? 'CLOSED'), error.message, { state });
  }
}

/**
 * A receive on an endpoint that never had a connection: Linux answers recv() on it with
 * ENOTCONN; the engine would return nothing, so the service refuses it first.
 */
export function refuseReceiveWithoutConnection(state: string, hasRemote: boolean): void {
  if (state === 'LISTEN' || (state === 'CLOSED' && !hasRemote)) {
    throw new ApiProblem(Problems.notConnected, `receive is not possible in ${state}`, { state });
  }
}
