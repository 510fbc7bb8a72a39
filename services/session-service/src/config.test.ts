import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/tcplab');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('defaults to loopback:3000, the embedded database in ./.tcplab and info logs', () => {
    expect(loadConfig({}, '/srv/tcplab')).toEqual({
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: undefined,
      dataDir: '/srv/tcplab/.tcplab',
      logLevel: 'info',
      auth: 'keys',
      bootstrapKey: undefined,
      rateLimitPerMinute: 1200,
      failedAuthPerMinute: 60,
      trustedProxies: [],
      corsOrigins: [],
      traceConnections: 1,
      sessionIdleMs: 600_000,
      maxLiveSessions: 1_000,
      leaseMs: 5_000,
      advertiseUrl: undefined,
      drainMs: 0,
      limits: {
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
    });
  });

  it('runs without keys only on loopback', () => {
    expect(loadConfig({ TCPLAB_AUTH: 'disabled' }, '/srv').auth).toBe('disabled');
    expect(loadConfig({ TCPLAB_AUTH: 'disabled', HOST: '::1' }, '/srv').auth).toBe('disabled');
    expect(loadConfig({ TCPLAB_AUTH: 'disabled', HOST: 'localhost' }, '/srv').auth).toBe(
      'disabled',
    );
  });

  it('reads every variable', () => {
    expect(
      loadConfig(
        {
          HOST: '0.0.0.0',
          PORT: '8080',
          DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
          TCPLAB_DATA_DIR: '/var/lib/tcplab',
          LOG_LEVEL: 'DEBUG',
          TCPLAB_BOOTSTRAP_KEY: 'a-long-enough-bootstrap-secret',
          TCPLAB_RATE_LIMIT: '60',
          TCPLAB_FAILED_AUTH_LIMIT: '10',
          TCPLAB_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16, ::1',
          TCPLAB_CORS_ORIGINS: 'https://lab.example.org, http://localhost:5173',
          TCPLAB_TRACE_CONNECTIONS: '3',
          TCPLAB_SESSION_IDLE_S: '120',
          TCPLAB_MAX_LIVE_SESSIONS: '5_000',
          TCPLAB_LEASE_MS: '2000',
          TCPLAB_ADVERTISE_URL: 'http://10.0.0.5:8080',
          TCPLAB_DRAIN_MS: '1500',
          TCPLAB_MAX_SESSIONS: '20',
          TCPLAB_MAX_ENDPOINTS: '8',
          TCPLAB_MAX_TRACE_EVENTS: '2_000_000',
          TCPLAB_MAX_EVENTS_PER_REQUEST: '50000',
          TCPLAB_MAX_REQUEST_MS: '3600000',
          TCPLAB_MAX_BUFFERED_BYTES: '1000000',
          TCPLAB_MAX_SESSION_BUFFERED_BYTES: '500000',
          TCPLAB_MAX_FAULT_RULES: '5',
          TCPLAB_MAX_CONCURRENT_MOVES: '1',
        },
        '/srv/tcplab',
      ),
    ).toEqual({
      host: '0.0.0.0',
      port: 8080,
      databaseUrl: 'postgresql://postgres@127.0.0.1:5432/test',
      dataDir: '/var/lib/tcplab',
      logLevel: 'debug',
      auth: 'keys',
      bootstrapKey: 'a-long-enough-bootstrap-secret',
      rateLimitPerMinute: 60,
      failedAuthPerMinute: 10,
      trustedProxies: ['10.0.0.1', '192.168.0.0/16', '::1'],
      corsOrigins: ['https://lab.example.org', 'http://localhost:5173'],
      traceConnections: 3,
      sessionIdleMs: 120_000,
      maxLiveSessions: 5_000,
      leaseMs: 2_000,
      advertiseUrl: 'http://10.0.0.5:8080',
      drainMs: 1_500,
      limits: {
        maxSessions: 20,
        maxEndpoints: 8,
        maxTraceEvents: 2_000_000,
        maxEventsPerRequest: 50_000,
        maxRequestMs: 3_600_000,
        maxBufferedBytes: 1_000_000,
        maxSessionBufferedBytes: 500_000,
        maxFaultRules: 5,
        maxConcurrentMoves: 1,
        maxConnections: 1_000,
      },
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be an integer from 0 to 65535 (got "abc")'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535 (got "70000")'],
    [{ PORT: '-1' }, 'PORT must be an integer from 0 to 65535 (got "-1")'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ],
    [{ TCPLAB_AUTH: 'off' }, 'TCPLAB_AUTH must be "disabled" or unset (got "off")'],
    [
      { TCPLAB_AUTH: 'disabled', HOST: '0.0.0.0' },
      'TCPLAB_AUTH=disabled serves anyone who can reach the port, so HOST must be a loopback ' +
        'address such as 127.0.0.1 (got "0.0.0.0")',
    ],
    [
      { TCPLAB_BOOTSTRAP_KEY: 'short' },
      'TCPLAB_BOOTSTRAP_KEY must be at least 24 characters (got 5)',
    ],
    [
      { TCPLAB_MAX_SESSIONS: '0' },
      'TCPLAB_MAX_SESSIONS must be an integer from 1 to 1000000 (got "0")',
    ],
    [
      { TCPLAB_MAX_REQUEST_MS: '1e9' },
      'TCPLAB_MAX_REQUEST_MS must be an integer from 1 to 86400000 (got "1e9")',
    ],
    [
      { TCPLAB_MAX_ENDPOINTS: '10001' },
      'TCPLAB_MAX_ENDPOINTS must be an integer from 1 to 10000 (got "10001")',
    ],
    [
      { TCPLAB_MAX_SESSION_BUFFERED_BYTES: '1073741824' },
      'TCPLAB_MAX_SESSION_BUFFERED_BYTES must be an integer from 1 to 134217728 (got "1073741824")',
    ],
    [
      { TCPLAB_FAILED_AUTH_LIMIT: 'many' },
      'TCPLAB_FAILED_AUTH_LIMIT must be a positive integer (requests per minute; got "many")',
    ],
    [
      { TCPLAB_TRUSTED_PROXIES: '10.0.0.1, proxy.local' },
      'TCPLAB_TRUSTED_PROXIES must list IP addresses or CIDR ranges, comma-separated (got "proxy.local")',
    ],
    [
      { TCPLAB_TRACE_CONNECTIONS: '0' },
      'TCPLAB_TRACE_CONNECTIONS must be an integer from 1 to 64 (got "0")',
    ],
    [
      { TCPLAB_SESSION_IDLE_S: '10m' },
      'TCPLAB_SESSION_IDLE_S must be an integer from 1 to 86400 (got "10m")',
    ],
    [
      { TCPLAB_MAX_LIVE_SESSIONS: '-5' },
      'TCPLAB_MAX_LIVE_SESSIONS must be an integer from 1 to 1000000 (got "-5")',
    ],
    [
      { TCPLAB_LEASE_MS: '100' },
      'TCPLAB_LEASE_MS must be an integer from 300 to 600000 (got "100")',
    ],
    [{ TCPLAB_DRAIN_MS: '2s' }, 'TCPLAB_DRAIN_MS must be an integer from 0 to 600000 (got "2s")'],
    [
      { TCPLAB_ADVERTISE_URL: 'http://10.0.0.5:3000/tcplab' },
      'TCPLAB_ADVERTISE_URL must be where other instances reach this one, such as http://10.0.0.5:3000 (got "http://10.0.0.5:3000/tcplab")',
    ],
    [
      { TCPLAB_TRUSTED_PROXIES: '10.0.0.0/33' },
      'TCPLAB_TRUSTED_PROXIES must list IP addresses or CIDR ranges, comma-separated (got "10.0.0.0/33")',
    ],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(problemsOf(env)).toEqual([message]);
  });

  it('refuses a DATABASE_URL that is not a Postgres URL', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://localhost/x' })[0]).toMatch(/^DATABASE_URL must be/);
  });

  it('reports every bad variable at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'y' })).toHaveLength(2);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: ' ' }, '/srv').port).toBe(3000);
  });
});
