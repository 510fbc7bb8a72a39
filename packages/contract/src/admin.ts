/**
 * Tenants, their limits, and API keys (REST v1, admin keys only). A tenant is a school, a
 * course or a lab platform; every session and key belongs to one.
 */
import { Type, type Static } from 'typebox';

export const TenantId = Type.String({
  maxLength: 63,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$',
  description: 'A tenant id: letters, digits, - and _ (up to 63)',
});

/** The largest value each limit takes. */
export const LIMIT_MAXIMA = {
  maxSessions: 1_000_000,
  maxEndpoints: 10_000,
  maxTraceEvents: 1_000_000_000,
  maxEventsPerRequest: 100_000_000,
  maxRequestMs: 86_400_000,
  maxBufferedBytes: 64 * 1024 ** 3,
  // Twice this is the most a session's state holds in transit; a snapshot of it (base64 in
  // JSON) must stay under V8's longest string.
  maxSessionBufferedBytes: 128 * 1024 ** 2,
  maxFaultRules: 10_000,
  maxConcurrentMoves: 64,
  maxConnections: 100_000,
} as const;

/** What one tenant may hold and ask; the service's defaults apply where a tenant sets none. */
export const Limits = Type.Object(
  {
    maxSessions: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxSessions,
      description: 'Sessions the tenant keeps at once (default 100)',
    }),
    maxEndpoints: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxEndpoints,
      description: 'Endpoints in one session, accepted ones included (default 64)',
    }),
    maxTraceEvents: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxTraceEvents,
      description:
        'Trace events (segments among them) one session keeps; a full session stays readable (default 5,000,000)',
    }),
    maxEventsPerRequest: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxEventsPerRequest,
      description: 'Trace events one clock move may produce before it stops (default 1,000,000)',
    }),
    maxRequestMs: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxRequestMs,
      description: 'Virtual time one advance or run may cover, in ms (default 86,400,000: a day)',
    }),
    maxBufferedBytes: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxBufferedBytes,
      description:
        "Bytes all the tenant's endpoints hold in their send, receive and out-of-order queues, " +
        'checked at each send and inject (default 536,870,912: 512 MiB)',
    }),
    maxSessionBufferedBytes: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxSessionBufferedBytes,
      description:
        "The same, for one session's endpoints (default 67,108,864: 64 MiB; at most 128 MiB)",
    }),
    maxFaultRules: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxFaultRules,
      description: 'Fault rules one session has at once (default 64)',
    }),
    maxConcurrentMoves: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxConcurrentMoves,
      description:
        "Clock moves (advance, run, step) of the tenant's sessions running at once; more wait " +
        'their turn, up to 100 of them, then 429 (default 2)',
    }),
    maxConnections: Type.Integer({
      minimum: 1,
      maximum: LIMIT_MAXIMA.maxConnections,
      description:
        "socket.io connections of the tenant's keys and viewer tokens at once, on one instance " +
        '(default 1,000: a class of 300 watching, with room to spare)',
    }),
  },
  {
    $id: 'Limits',
    additionalProperties: false,
    examples: [
      {
        maxSessions: 100,
        maxEndpoints: 64,
        maxTraceEvents: 5_000_000,
        maxEventsPerRequest: 1_000_000,
        maxRequestMs: 86_400_000,
        maxBufferedBytes: 536_870_912,
        maxSessionBufferedBytes: 67_108_864,
        maxFaultRules: 64,
        maxConcurrentMoves: 2,
        maxConnections: 1_000,
      },
    ],
  },
);
export type Limits = Static<typeof Limits>;

/** A tenant's own limits: each one set overrides the service's default. */
export const LimitOverrides = Type.Partial(Limits, {
  $id: 'LimitOverrides',
  additionalProperties: false,
  examples: [{ maxSessions: 300, maxTraceEvents: 20_000_000 }],
});
export type LimitOverrides = Static<typeof LimitOverrides>;

export const Tenant = Type.Object(
  {
    id: TenantId,
    name: Type.String(),
    limits: LimitOverrides,
    effectiveLimits: Limits,
    sessions: Type.Integer({ description: 'Sessions it has now' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Tenant' },
);
export type Tenant = Static<typeof Tenant>;

export const TenantList = Type.Object({ items: Type.Array(Tenant) }, { $id: 'TenantList' });
export type TenantList = Static<typeof TenantList>;

const TenantName = Type.String({ minLength: 1, maxLength: 200 });

export const CreateTenant = Type.Object(
  {
    id: TenantId,
    name: Type.Optional(TenantName),
    limits: Type.Optional(LimitOverrides),
  },
  {
    $id: 'CreateTenant',
    additionalProperties: false,
    examples: [{ id: 'networks-101', name: 'Networks 101', limits: { maxSessions: 300 } }],
  },
);
export type CreateTenant = Static<typeof CreateTenant>;

export const UpdateTenant = Type.Object(
  {
    name: Type.Optional(TenantName),
    limits: Type.Optional(LimitOverrides),
  },
  {
    $id: 'UpdateTenant',
    additionalProperties: false,
    description: "`limits` replaces all of the tenant's own limits ({} returns to the defaults)",
    examples: [{ limits: { maxEndpoints: 8 } }],
  },
);
export type UpdateTenant = Static<typeof UpdateTenant>;

export const TenantParams = Type.Object({ tid: TenantId }, { additionalProperties: false });
export type TenantParams = Static<typeof TenantParams>;

export const Role = Type.Enum(['admin', 'instructor', 'viewer'], {
  description:
    'admin: tenants and keys, and all an instructor may; instructor: create and drive sessions; viewer: read',
});

export const ApiKey = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenantId: TenantId,
    role: Role,
    name: Type.String(),
    prefix: Type.String({ description: 'Names the key in lists and logs; not usable as a key' }),
    createdAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { $id: 'ApiKey' },
);
export type ApiKey = Static<typeof ApiKey>;

export const CreatedApiKey = Type.Object(
  {
    ...ApiKey.properties,
    secret: Type.String({
      description: 'The key, for "Authorization: Bearer <secret>"; shown only in this answer',
    }),
  },
  { $id: 'CreatedApiKey' },
);
export type CreatedApiKey = Static<typeof CreatedApiKey>;

export const ApiKeyList = Type.Object({ items: Type.Array(ApiKey) }, { $id: 'ApiKeyList' });
export type ApiKeyList = Static<typeof ApiKeyList>;

export const CreateApiKey = Type.Object(
  {
    tenantId: TenantId,
    role: Role,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  {
    $id: 'CreateApiKey',
    additionalProperties: false,
    examples: [{ tenantId: 'networks-101', role: 'instructor', name: 'lab platform' }],
  },
);
export type CreateApiKey = Static<typeof CreateApiKey>;

export const ApiKeyQuery = Type.Object(
  { tenantId: Type.Optional(TenantId) },
  { additionalProperties: false },
);
export type ApiKeyQuery = Static<typeof ApiKeyQuery>;

export const ApiKeyParams = Type.Object(
  { kid: Type.String({ format: 'uuid', description: 'A key id' }) },
  { additionalProperties: false },
);
export type ApiKeyParams = Static<typeof ApiKeyParams>;
