/**
 * What a tenant may hold and ask (see Limits in @tcplab/contract): the service's defaults,
 * which the environment can change (README, Configuration), and a tenant's own overrides,
 * which an admin sets with PATCH /v1/tenants/:tid.
 */
import type { LimitOverrides, Limits } from '@tcplab/contract';

export const DEFAULT_LIMITS: Limits = {
  maxSessions: 100,
  maxEndpoints: 64,
  maxTraceEvents: 5_000_000,
  maxEventsPerRequest: 1_000_000,
  maxRequestMs: 86_400_000,
  maxBufferedBytes: 512 * 1024 ** 2,
  maxSessionBufferedBytes: 64 * 1024 ** 2,
  maxFaultRules: 64,
  maxConcurrentMoves: 2,
  maxConnections: 1_000,
};

/** The environment variable that sets each default. */
export const LIMIT_VARIABLES: Record<keyof Limits, string> = {
  maxSessions: 'TCPLAB_MAX_SESSIONS',
  maxEndpoints: 'TCPLAB_MAX_ENDPOINTS',
  maxTraceEvents: 'TCPLAB_MAX_TRACE_EVENTS',
  maxEventsPerRequest: 'TCPLAB_MAX_EVENTS_PER_REQUEST',
  maxRequestMs: 'TCPLAB_MAX_REQUEST_MS',
  maxBufferedBytes: 'TCPLAB_MAX_BUFFERED_BYTES',
  maxSessionBufferedBytes: 'TCPLAB_MAX_SESSION_BUFFERED_BYTES',
  maxFaultRules: 'TCPLAB_MAX_FAULT_RULES',
  maxConcurrentMoves: 'TCPLAB_MAX_CONCURRENT_MOVES',
  maxConnections: 'TCPLAB_MAX_CONNECTIONS',
};

/** The limits in force for a tenant: its overrides over the service's defaults. */
export function effectiveLimits(defaults: Limits, overrides: LimitOverrides): Limits {
  return { ...defaults, ...overrides };
}

/** A tenant row's `limits` column as overrides (only known keys with integer values). */
export function storedOverrides(value: unknown): LimitOverrides {
  const overrides: LimitOverrides = {};
  if (typeof value !== 'object' || value === null) return overrides;
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const limit = (value as Record<string, unknown>)[key];
    if (typeof limit === 'number' && Number.isInteger(limit) && limit > 0) overrides[key] = limit;
  }
  return overrides;
}
