export { createClient } from './client.js';
export type { ClientOptions, TcplabClient } from './client.js';
export { ApiError, isApiError, isNetworkError, NetworkError } from './errors.js';
export { DEFAULT_MAX_BUFFERED_EVENTS } from './watch.js';
export type { TraceStream, WatchOptions } from './watch.js';
export type { AdminApi, KeysApi, TenantsApi } from './api/admin.js';
export type { EndpointsApi } from './api/endpoints.js';
export type { FaultsApi } from './api/faults.js';
export type { ScenariosApi } from './api/scenarios.js';
export type { SessionsApi } from './api/sessions.js';
export type { AnyTraceEvent, EventPage, TraceApi } from './api/trace.js';
export type { ViewerTokensApi } from './api/viewer-tokens.js';
// The contract's types, so that a user of the SDK needs one import.
export type {
  ApiKey,
  ApiKeyList,
  ApiKeyQuery,
  ClockAction,
  ClockResult,
  Connect,
  CreateApiKey,
  CreatedApiKey,
  CreatedViewerToken,
  CreateEndpoint,
  CreateFault,
  CreateSession,
  CreateTenant,
  CreateViewerToken,
  Endpoint,
  EndpointList,
  EndpointOptions,
  EventList,
  EventQuery,
  Fault,
  FaultList,
  Health,
  Inject,
  InjectResult,
  LimitOverrides,
  Limits,
  LinkSettings,
  PageQuery,
  Problem,
  Readiness,
  Receive,
  ReceiveResult,
  Scenario,
  ScenarioList,
  ScenarioSummary,
  Segment,
  SegmentList,
  Send,
  SendResult,
  Session,
  SessionList,
  SocketAddress,
  Tenant,
  TenantList,
  TraceEvent,
  UpdateSession,
  UpdateTenant,
  ViewerToken,
  ViewerTokenList,
} from '@tcplab/contract';
