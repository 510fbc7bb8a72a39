/**
 * The request core every REST method goes through: one JSON request to the service, its answer
 * parsed (or its bytes, for a file), a problem+json answer turned into an ApiError, no answer at
 * all into a NetworkError.
 */
import type { Problem } from '@tcplab/contract';
import { ApiError, NetworkError } from './errors.js';

export interface RestOptions {
  /** Where the service listens, e.g. http://127.0.0.1:3000 (a path prefix is kept). */
  baseUrl: string;
  /** An API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string | undefined;
  /** The fetch to use; the global one by default. */
  fetch?: typeof globalThis.fetch | undefined;
}

/** A query string's values; undefined ones are left out. */
export type QueryValues = Record<string, string | number | boolean | undefined>;

export interface RestRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Built with `path`, so that parameters are encoded. */
  path: string;
  query?: QueryValues | undefined;
  /** Sent as JSON; when undefined the request has no body and no content type. */
  body?: unknown;
  /** A successful answer's media type when it is not JSON: its bytes are the result. */
  bytes?: string | undefined;
}

/** Sends one request; resolves the parsed answer (undefined for 204). */
export type Rest = <T>(request: RestRequest) => Promise<T>;

/** A path with each interpolated parameter URL-encoded: path`/v1/sessions/${sid}`. */
export function path(strings: TemplateStringsArray, ...params: string[]): string {
  return strings.reduce(
    (joined, literal, i) =>
      joined + literal + (i < params.length ? encodeURIComponent(params[i] ?? '') : ''),
    '',
  );
}

export function createRest(options: RestOptions): Rest {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // Read the global at call time, not now, so that a fetch installed later (a test's spy) counts.
  const fetchImpl = options.fetch ?? ((...args) => globalThis.fetch(...args));

  return async <T>(request: RestRequest): Promise<T> => {
    const url = baseUrl + request.path + queryString(request.query);
    const headers: Record<string, string> = {
      accept:
        request.bytes === undefined ? 'application/json' : `${request.bytes}, application/json`,
    };
    if (options.apiKey !== undefined) headers.authorization = `Bearer ${options.apiKey}`;
    const init: RequestInit = { method: request.method, headers };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(request.body);
    }

    let response: Response;
    let bytes: Uint8Array;
    try {
      response = await fetchImpl(url, init);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new NetworkError(request.method, url, error);
    }
    if (response.ok && request.bytes !== undefined) return bytes as T;
    const text = new TextDecoder().decode(bytes);
    const parsed = parseJson(text);
    if (!response.ok) {
      throw new ApiError(
        toProblem(response, parsed === undefined ? text : parsed.json, request.path),
      );
    }
    if (text === '') return undefined as T;
    if (parsed === undefined) {
      throw new Error(
        `${request.method} ${url}: the service answered ${response.status} with a body that is not JSON`,
      );
    }
    return parsed.json as T;
  };
}

function queryString(query: QueryValues | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.append(name, String(value));
  }
  const encoded = params.toString();
  return encoded === '' ? '' : `?${encoded}`;
}

/** The parsed JSON, or undefined when the text is empty or not JSON (a proxy's HTML page). */
function parseJson(text: string): { json: unknown } | undefined {
  if (text === '') return undefined;
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** The problem the service sent, or one made from the status when the body is not one. */
function toProblem(response: Response, body: unknown, path: string): Problem {
  if (isProblem(body)) return body;
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    code: `HTTP_${response.status}`,
    detail:
      typeof body === 'string' && body !== '' ? body.slice(0, 500) : `unexpected answer to ${path}`,
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
