export {
  ErrorCode,
  Problem,
  ProblemFieldError,
  PROBLEM_MEDIA_TYPE,
  SocketProblem,
} from './problem.js';
export { Health, NotReadyProblem, Readiness, ReadinessChecks } from './health.js';
export {
  BurstLoss,
  ClockAction,
  ClockResult,
  CreateSession,
  EndpointOptions,
  LinkSettings,
  Session,
  SessionId,
  SessionList,
  SessionParams,
  UpdateSession,
} from './sessions.js';
export {
  Connect,
  CreateEndpoint,
  Endpoint,
  EndpointId,
  EndpointList,
  EndpointParams,
  Receive,
  ReceiveResult,
  Send,
  SendResult,
  SocketAddress,
} from './endpoints.js';
export {
  EventList,
  EventQuery,
  PageQuery,
  Segment,
  SegmentList,
  TcpOptionsView,
  TraceEvent,
  TraceKind,
} from './trace.js';
export { CreateFault, Fault, FaultId, FaultList, FaultParams, Inject } from './faults.js';
export {
  ApiKey,
  ApiKeyList,
  ApiKeyParams,
  ApiKeyQuery,
  CreateApiKey,
  CreatedApiKey,
  CreateTenant,
  LIMIT_MAXIMA,
  LimitOverrides,
  Limits,
  Role,
  Tenant,
  TenantId,
  TenantList,
  TenantParams,
  UpdateTenant,
} from './admin.js';
export {
  CreatedViewerToken,
  CreateViewerToken,
  DEFAULT_VIEWER_TOKEN_SECONDS,
  MAX_VIEWER_TOKEN_SECONDS,
  ViewerToken,
  ViewerTokenId,
  ViewerTokenList,
  ViewerTokenParams,
} from './viewer-tokens.js';
export {
  Subscribe,
  Unsubscribe,
  type ClientToServerEvents,
  type Cutoff,
  type EventBatch,
  type ServerToClientEvents,
  type SubscriptionAck,
} from './realtime.js';
