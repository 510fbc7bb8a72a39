/** Service instances as real processes on one database, and a client of their REST API. */
import { runTs, type Child } from './processes.js';

/** The admin key every instance ensures at start (TCPLAB_BOOTSTRAP_KEY). */
export const ADMIN_KEY = 'cluster-test-admin-key-0123456789';

export interface Instance {
  child: Child;
  url: string;
}

/** Starts `src/server.ts` on a free loopback port of `databaseUrl`; `children` kills it after. */
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
  const [, url] = await child.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, url: url ?? '' };
}

export interface Answer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** A JSON request with the admin key; any status is answered, none thrown. */
export async function ask(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
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
