/** /v1/sessions/:sid/faults and /inject: mistakes on the wire, on purpose. */
import type { CreateFault, Fault, FaultList, Inject, InjectResult } from '@tcplab/contract';
import { path, type Rest } from '../rest.js';

export interface FaultsApi {
  /** POST /v1/sessions/:sid/faults (201): drop, delay, duplicate or corrupt matching segments. */
  create(sessionId: string, body: CreateFault): Promise<Fault>;
  /** GET /v1/sessions/:sid/faults: the rules, with what each has seen and affected. */
  list(sessionId: string): Promise<FaultList>;
  /** DELETE /v1/sessions/:sid/faults/:fid (204) */
  delete(sessionId: string, faultId: string): Promise<void>;
  /**
   * POST /v1/sessions/:sid/inject (202): send a segment as a peer would (packetdrill's `<`).
   * Move the clock to see it arrive, and read the replies from `trace.segments()`.
   */
  inject(sessionId: string, body: Inject): Promise<InjectResult>;
}

export function faultsApi(rest: Rest): FaultsApi {
  return {
    create: (sid, body) => rest({ method: 'POST', path: path`/v1/sessions/${sid}/faults`, body }),
    list: (sid) => rest({ method: 'GET', path: path`/v1/sessions/${sid}/faults` }),
    delete: (sid, fid) => rest({ method: 'DELETE', path: path`/v1/sessions/${sid}/faults/${fid}` }),
    inject: (sid, body) => rest({ method: 'POST', path: path`/v1/sessions/${sid}/inject`, body }),
  };
}
