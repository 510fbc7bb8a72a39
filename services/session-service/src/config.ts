/**
 * The service's configuration, read from the environment once at start (see the README).
 * Every bad value is reported at once, by variable name, so an operator fixes them in one go.
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { LIMIT_MAXIMA, type Limits } from '@tcplab/contract';
import { DEFAULT_LIMITS, LIMIT_VARIABLES } from './limits.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** Address the HTTP server binds to. */
  host: string;
  /** TCP port of the HTTP server; 0 picks a free one. */
  port: number;
  /** An external PostgreSQL server; undefined starts the embedded one. */
  databaseUrl: string | undefined;
  /** Local state: the embedded database cluster and its credentials. */
  dataDir: string;
  logLevel: LogLevel;
  /** `keys`: every /v1 request carries an API key; `disabled`: one local user (loopback only). */
  auth: 'keys' | 'disabled';
  /** TCPLAB_BOOTSTRAP_KEY: an admin key with this secret is ensured at start. */
  bootstrapKey: string | undefined;
  /** TCPLAB_RATE_LIMIT: requests per minute for one API key. */
  rateLimitPerMinute: number;
  /** TCPLAB_FAILED_AUTH_LIMIT: requests with no key or a bad one per minute from one address. */
  failedAuthPerMinute: number;
  /**
   * TCPLAB_TRUSTED_PROXIES: addresses or CIDR ranges of the proxies in front (a balancer);
   * only from them is X-Forwarded-For believed, for the client address budgets are kept by.
   */
  trustedProxies: string[];
  /** TCPLAB_CORS_ORIGINS: origins allowed to call the API from a browser. */
  corsOrigins: string[];
  /**
   * TCPLAB_TRACE_CONNECTIONS: database connections that write the traces of long clock moves
   * (store/database.ts): more write several sessions' traces at once, fewer leave the database
   * to everyone else's requests.
   */
  traceConnections: number;
  /** TCPLAB_SESSION_IDLE_S: a session no request used for this long leaves memory (ms here). */
  sessionIdleMs: number;
  /** TCPLAB_MAX_LIVE_SESSIONS: sessions in memory at most (the least recently used leave). */
  maxLiveSessions: number;
  /**
   * TCPLAB_LEASE_MS: how long a session's lease lasts unless renewed, and so the longest the
   * sessions of an instance that died wait for another to take them (cluster/leases.ts).
   */
  leaseMs: number;
  /**
   * TCPLAB_ADVERTISE_URL: where the other instances reach this one (`http://host:port`);
   * undefined: the address the server listens on (its host name when it listens on all).
   */
  advertiseUrl: string | undefined;
  /**
   * TCPLAB_DRAIN_MS: after SIGTERM or SIGINT, how long the instance answers /readyz 503 while
   * it goes on serving, for the balancer to stop sending it requests, before it closes.
   */
  drainMs: number;
  /** TCPLAB_MAX_*: the default limits of every tenant (limits.ts). */
  limits: Limits;
}

/** Connections that write traces, by default: one session's trace at a time. */
export const DEFAULT_TRACE_CONNECTIONS = 1;
/** A session unused this long leaves memory, by default (10 minutes). */
export const DEFAULT_SESSION_IDLE_S = 600;
/** Sessions an instance keeps in memory at most, by default. */
export const DEFAULT_MAX_LIVE_SESSIONS = 1_000;
/** A session's lease lasts this long unless renewed, by default (ms). */
export const DEFAULT_LEASE_MS = 5_000;
/** The shortest lease accepted: renewed every third of it, over the network to Postgres. */
const MIN_LEASE_MS = 300;

/** The shortest bootstrap key accepted: it is a password, and guessable ones are refused. */
export const MIN_BOOTSTRAP_KEY_LENGTH = 24;

/** Loopback addresses: a server bound to one is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Reads the configuration from `env`, relative paths resolved against `cwd`. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };

  const host = value('HOST') ?? '127.0.0.1';

  let port = 3000;
  const rawPort = value('PORT');
  if (rawPort !== undefined) {
    port = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || port > 65535) {
      problems.push(`PORT must be an integer from 0 to 65535 (got "${rawPort}")`);
    }
  }

  const databaseUrl = value('DATABASE_URL');
  if (databaseUrl !== undefined && !isPostgresUrl(databaseUrl)) {
    problems.push(
      'DATABASE_URL must be a postgresql:// or postgres:// URL ' +
        '(e.g. postgresql://user:password@127.0.0.1:5432/tcplab); unset it to use the embedded database',
    );
  }

  const rawDataDir = value('TCPLAB_DATA_DIR') ?? '.tcplab';
  const dataDir = isAbsolute(rawDataDir) ? rawDataDir : resolve(cwd, rawDataDir);

  const rawLevel = value('LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((level) => level === rawLevel.toLowerCase());
  if (logLevel === undefined) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${rawLevel}")`);
  }

  const rawAuth = value('TCPLAB_AUTH');
  const auth = rawAuth === 'disabled' ? 'disabled' : 'keys';
  if (rawAuth !== undefined && rawAuth !== 'disabled') {
    problems.push(`TCPLAB_AUTH must be "disabled" or unset (got "${rawAuth}")`);
  } else if (auth === 'disabled' && !isLoopback(host)) {
    problems.push(
      `TCPLAB_AUTH=disabled serves anyone who can reach the port, so HOST must be a loopback ` +
        `address such as 127.0.0.1 (got "${host}")`,
    );
  }

  const bootstrapKey = value('TCPLAB_BOOTSTRAP_KEY');
  if (bootstrapKey !== undefined && bootstrapKey.length < MIN_BOOTSTRAP_KEY_LENGTH) {
    problems.push(
      `TCPLAB_BOOTSTRAP_KEY must be at least ${MIN_BOOTSTRAP_KEY_LENGTH} characters ` +
        `(got ${bootstrapKey.length})`,
    );
  }

  const perMinute = (variable: string, fallback: number): number => {
    const raw = value(variable);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) {
      problems.push(`${variable} must be a positive integer (requests per minute; got "${raw}")`);
    }
    return Number(raw);
  };
  const rateLimitPerMinute = perMinute('TCPLAB_RATE_LIMIT', 1200);
  const failedAuthPerMinute = perMinute('TCPLAB_FAILED_AUTH_LIMIT', 60);

  const trustedProxies = (value('TCPLAB_TRUSTED_PROXIES') ?? '')
    .split(',')
    .map((proxy) => proxy.trim())
    .filter((proxy) => proxy !== '');
  for (const proxy of trustedProxies) {
    const [address, bits, extra] = proxy.split('/');
    const version = isIP(address ?? '');
    const maxBits = version === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (version === 0 || !bitsOk || extra !== undefined) {
      problems.push(
        `TCPLAB_TRUSTED_PROXIES must list IP addresses or CIDR ranges, comma-separated (got "${proxy}")`,
      );
    }
  }

  const corsOrigins = (value('TCPLAB_CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(
        `TCPLAB_CORS_ORIGINS must list origins such as https://lab.example.org, comma-separated (got "${origin}")`,
      );
    }
  }

  /** An integer variable from `min` (1 unless said) to `max`, or its default. */
  const bounded = (variable: string, fallback: number, max: number, min = 1): number => {
    const raw = value(variable);
    if (raw === undefined) return fallback;
    const parsed = Number(raw.replaceAll('_', ''));
    if (!/^\d[\d_]*$/.test(raw) || parsed < min || parsed > max) {
      problems.push(`${variable} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return parsed;
  };
  const traceConnections = bounded('TCPLAB_TRACE_CONNECTIONS', DEFAULT_TRACE_CONNECTIONS, 64);
  const sessionIdleMs = bounded('TCPLAB_SESSION_IDLE_S', DEFAULT_SESSION_IDLE_S, 86_400) * 1000;
  const maxLiveSessions = bounded('TCPLAB_MAX_LIVE_SESSIONS', DEFAULT_MAX_LIVE_SESSIONS, 1_000_000);
  const leaseMs = bounded('TCPLAB_LEASE_MS', DEFAULT_LEASE_MS, 600_000, MIN_LEASE_MS);
  const drainMs = bounded('TCPLAB_DRAIN_MS', 0, 600_000, 0);
  const advertiseUrl = value('TCPLAB_ADVERTISE_URL');
  if (advertiseUrl !== undefined && !/^https?:\/\/[^/\s?#]+$/.test(advertiseUrl)) {
    problems.push(
      `TCPLAB_ADVERTISE_URL must be where other instances reach this one, such as http://10.0.0.5:3000 (got "${advertiseUrl}")`,
    );
  }

  const limits = { ...DEFAULT_LIMITS };
  for (const [limit, variable] of Object.entries(LIMIT_VARIABLES) as [keyof Limits, string][]) {
    limits[limit] = bounded(variable, limits[limit], LIMIT_MAXIMA[limit]);
  }

  if (problems.length > 0 || logLevel === undefined) throw new ConfigError(problems);
  return {
    host,
    port,
    databaseUrl,
    dataDir,
    logLevel,
    auth,
    bootstrapKey,
    rateLimitPerMinute,
    failedAuthPerMinute,
    trustedProxies,
    corsOrigins,
    traceConnections,
    sessionIdleMs,
    maxLiveSessions,
    leaseMs,
    advertiseUrl,
    drainMs,
    limits,
  };
}

function isPostgresUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'postgresql:' || url.protocol === 'postgres:') && url.hostname !== '';
  } catch {
    return false;
  }
}
