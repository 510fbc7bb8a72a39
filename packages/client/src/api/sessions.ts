/** /v1/sessions: create, list, read, change and delete sessions, and move their clock. */
import type {
  ClockAction,
  ClockResult,
  CreateSession,
  Session,
  SessionList,
  UpdateSession,
} from '@tcplab/contract';
import { path, type Rest } from '../rest.js';

export interface SessionsApi {
  /** POST /v1/sessions (201): a new session, its clock at 0 and paused. */
  create(body?: CreateSession): Promise<Session>;
  /** GET /v1/sessions: the sessions of the key's tenant. */
  list(): Promise<SessionList>;
  /** GET /v1/sessions/:sid */
  get(sessionId: string): Promise<Session>;
  /** PATCH /v1/sessions/:sid: rename, or change the link settings from now on. */
  update(sessionId: string, body: UpdateSession): Promise<Session>;
  /** DELETE /v1/sessions/:sid (204): the session with its log and trace. */
  delete(sessionId: string): Promise<void>;
  /** POST /v1/sessions/:sid/clock: step, advance {ms}, run {untilIdle, maxMs}, play, pause. */
  clock(sessionId: string, action: ClockAction): Promise<ClockResult>;
}

export function sessionsApi(rest: Rest): SessionsApi {
  return {
    create: (body = {}) => rest({ method: 'POST', path: '/v1/sessions', body }),
    list: () => rest({ method: 'GET', path: '/v1/sessions' }),
    get: (sid) => rest({ method: 'GET', path: path`/v1/sessions/${sid}` }),
    update: (sid, body) => rest({ method: 'PATCH', path: path`/v1/sessions/${sid}`, body }),
    delete: (sid) => rest({ method: 'DELETE', path: path`/v1/sessions/${sid}` }),
    clock: (sid, action) =>
      rest({ method: 'POST', path: path`/v1/sessions/${sid}/clock`, body: action }),
  };
}
