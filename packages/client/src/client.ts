import type { Health, Problem, Readiness } from '@tcplab/contract';
import { ApiError } from './errors.js';

export interface ClientOptions {
  /** Where the service listens, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** An API key, sent as a bearer token. */
  apiKey?: string;
  /** The fetch to use (a test double, a proxy-aware fetch); the global fetch by default. */
  fetch?: typeof globalThis.fetch;
}

export interface TcplabClient {
  /** GET /healthz: resolves when the process is alive. */
  health(): Promise<Health>;
  /** GET /readyz: resolves when ready; rejects with an ApiError (code NOT_READY) otherwise. */
  readiness(): Promise<Readiness>;
}

/** Creates a typed client for one tcplab service. */
export function createClient(options: ClientOptions): TcplabClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  async function request<T>(method: string, path: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
    const response = await fetchImpl(`${baseUrl}${path}`, { method, headers });
    const body: unknown = await readBody(response);
    if (!response.ok) throw new ApiError(toProblem(response, body, path));
    return body as T;
  }

  return {
    health: () => request<Health>('GET', '/healthz'),
    readiness: () => request<Readiness>('GET', '/readyz'),
  };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The problem the service sent, or one made from the status when the body is not one. */
function toProblem(response: Response, body: unknown, path: string): Problem {
  if (isProblem(body)) return body;
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    code: 'HTTP_' + String(response.status),
    detail: typeof body === 'string' ? body.slice(0, 500) : `unexpected answer to ${path}`,
    instance: path,
  };
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const candidate = body as Record<string, unknown>;
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.status === 'number' &&
    typeof candidate.title === 'string'
  );
}
