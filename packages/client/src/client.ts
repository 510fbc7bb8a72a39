/** createClient(): every REST route of the service as a typed method, and watch(). */
import type { Health, Readiness } from '@tcplab/contract';
import { adminApi, type AdminApi } from './api/admin.js';
import { endpointsApi, type EndpointsApi } from './api/endpoints.js';
import { faultsApi, type FaultsApi } from './api/faults.js';
import { scenariosApi, type ScenariosApi } from './api/scenarios.js';
import { sessionsApi, type SessionsApi } from './api/sessions.js';
import { traceApi, type TraceApi } from './api/trace.js';
import { viewerTokensApi, type ViewerTokensApi } from './api/viewer-tokens.js';
import { createRest } from './rest.js';
import { realtimeTarget, watch, type TraceStream, type WatchOptions } from './watch.js';

export interface ClientOptions {
  /** Where the service listens, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** An API key, sent as a bearer token; watch() uses it too unless `watchToken` is given. */
  apiKey?: string;
  /**
   * The token watch() connects with: a viewer token (which works for watching only, no REST),
   * or another API key. Defaults to `apiKey`.
   */
  watchToken?: string;
  /** The fetch to use (a test double, a proxy-aware fetch); the global fetch by default. */
  fetch?: typeof globalThis.fetch;
}

export interface TcplabClient {
  /** GET /healthz: resolves when the process is alive. */
  health(): Promise<Health>;
  /** GET /readyz: resolves when ready; rejects with an ApiError (code NOT_READY) otherwise. */
  readiness(): Promise<Readiness>;
  sessions: SessionsApi;
  endpoints: EndpointsApi;
  faults: FaultsApi;
  trace: TraceApi;
  viewerTokens: ViewerTokensApi;
  /** The scenario library the service offers. */
  scenarios: ScenariosApi;
  /** Tenants and API keys: admin keys only (FORBIDDEN otherwise). */
  admin: AdminApi;
  /**
   * A session's trace events over socket.io: the stored ones after `after`, then live ones, one
   * at a time, in order, resuming by itself after any disconnect. Nothing connects until the
   * first `next()`; `break` (or `return()`) and `signal` close the connection.
   */
  watch(sessionId: string, options?: WatchOptions): TraceStream;
}

/** Creates a typed client for one tcplab service. */
export function createClient(options: ClientOptions): TcplabClient {
  const rest = createRest(options);
  const realtime = realtimeTarget(options.baseUrl, options.watchToken ?? options.apiKey);
  return {
    health: () => rest({ method: 'GET', path: '/healthz' }),
    readiness: () => rest({ method: 'GET', path: '/readyz' }),
    sessions: sessionsApi(rest),
    endpoints: endpointsApi(rest),
    faults: faultsApi(rest),
    trace: traceApi(rest),
    viewerTokens: viewerTokensApi(rest),
    scenarios: scenariosApi(rest),
    admin: adminApi(rest),
    watch: (sessionId, watchOptions) => watch(realtime, sessionId, watchOptions),
  };
}
