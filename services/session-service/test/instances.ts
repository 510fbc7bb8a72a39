/**
 * Service instances as real processes on one database, HAProxy in front of them (with
 * docker/haproxy.cfg itself), and a client of their REST API: for the tests and benchmarks of
 * several instances.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runTs, type Child } from './processes.js';

const HAPROXY_CONFIG = fileURLToPath(new URL('../../../docker/haproxy.cfg', import.meta.url));

/** The admin key every instance ensures at start (TCPLAB_BOOTSTRAP_KEY). */
export const ADMIN_KEY = 'cluster-test-admin-key-0123456789';

export interface Instance {
  child: Child;
  url: string;
}

/**
 * Starts `src/server.ts` on `databaseUrl`, on env.PORT or a free loopback port, once it
 * answers; `children` kills it after.
 */
export async function startInstance(
  children: Child[],
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<Instance> {
  const child = runTs('src/server.ts', [], {
    ...process.env,
    LOG_LEVEL: 'info',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    TCPLAB_BOOTSTRAP_KEY: ADMIN_KEY,
    ...env,
  });
  children.push(child);
  const port = env.PORT ?? '0';
  if (port !== '0') {
    // A known port: whatever the log level, the instance is up once it answers there.
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => {
      if (child.process.exitCode !== null) throw new Error(`exited: ${child.stderr()}`);
      return (await ask(url, 'GET', '/healthz').catch(() => undefined))?.status === 200;
    }, `an instance answering on ${url}`);
    return { child, url };
  }
  const [, url] = await child.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, url: url ?? '' };
}

export interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
  /** The Location header (a created session's path). */
  location: string | null;
}

/** A JSON request with the admin key; any status is answered, none thrown. */
export async function ask(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  key = ADMIN_KEY,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') === true;
  return {
    status: response.status,
    // A balancer's own error page is HTML: kept as text.
    body: text === '' ? undefined : json ? (JSON.parse(text) as Record<string, unknown>) : { text },
    location: response.headers.get('location'),
  };
}

/** A client of one instance that throws on any answer of 400 or more. */
export function client(url: string) {
  return async (method: string, path: string, body?: unknown) => {
    const answer = await ask(url, method, path, body);
    if (answer.status >= 400) {
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  };
}

export type Api = ReturnType<typeof client>;

/** Waits until `check` holds, polling; fails naming `what` after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Free loopback ports: bound once to learn them, then let go. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    ports.push(typeof address === 'object' && address !== null ? address.port : 0);
    await new Promise((resolve) => server.close(resolve));
  }
  return ports;
}

/**
 * HAProxy on 127.0.0.1:`port` in front of `servers` (host:port, up to three; fewer are
 * repeated), once it answers /readyz; `cleanups` stops it. Answers its URL.
 */
export async function startBalancer(
  cleanups: (() => Promise<void>)[],
  port: number,
  servers: string[],
): Promise<string> {
  if (spawnSync('haproxy', ['-v']).error !== undefined) {
    throw new Error('HAProxy is not installed (Debian: apt-get install haproxy)');
  }
  const server = (i: number) => servers[i % servers.length] ?? '';
  const haproxy = spawn('haproxy', ['-db', '-f', HAPROXY_CONFIG], {
    env: {
      ...process.env,
      TCPLAB_BIND: `127.0.0.1:${port}`,
      TCPLAB_S1: server(0),
      TCPLAB_S2: server(1),
      TCPLAB_S3: server(2),
      TCPLAB_CHECK_MS: '250',
    },
    stdio: 'ignore',
  });
  cleanups.push(async () => {
    haproxy.kill('SIGKILL');
    await new Promise((resolve) => haproxy.once('exit', resolve));
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => (await ask(url, 'GET', '/readyz').catch(() => undefined))?.status === 200,
    'HAProxy answering',
  );
  return url;
}
