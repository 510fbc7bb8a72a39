/** session-core's refusals (the engine's, and of bodies) thrown as the problems the routes answer. */
import { receiveRefusal, refusalOf, type Refusal, type SocketCall } from '@tcplab/session-core';
import { ApiProblem } from '../errors.js';

export type { SocketCall };

/** A refusal of session-core as the problem a route throws. */
export function problemOf(refusal: Refusal): ApiProblem {
  return new ApiProblem(refusal.problem, refusal.detail, {
    ...(refusal.state === undefined ? {} : { state: refusal.state }),
    ...(refusal.errors === undefined ? {} : { errors: refusal.errors }),
  });
}

/** Translates what the engine threw; anything else is rethrown as it is. */
export function toApiProblem(error: unknown, call: SocketCall, state: string | undefined): never {
  const refusal = refusalOf(error, call, state);
  throw refusal === undefined ? error : problemOf(refusal);
}

/** Refuses a receive on an endpoint that never had a connection (ENOTCONN, as Linux). */
export function refuseReceiveWithoutConnection(state: string, hasRemote: boolean): void {
  const refusal = receiveRefusal(state, hasRemote);
  if (refusal !== undefined) throw problemOf(refusal);
}
