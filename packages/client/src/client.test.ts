import { describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { isApiError } from './errors.js';

function fakeFetch(status: number, body: string, contentType: string) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    calls.push({
      url: input instanceof Request ? input.url : input.toString(),
      headers: (init?.headers ?? {}) as Record<string, string>,
    });
    return Promise.resolve(
      new Response(body, { status, headers: { 'content-type': contentType } }),
    );
  };
  return { fetch, calls };
}

describe('createClient', () => {
  it('sends the API key as a bearer token to the joined URL', async () => {
    const { fetch, calls } = fakeFetch(200, '{"status":"ok"}', 'application/json');
    const client = createClient({ baseUrl: 'http://127.0.0.1:3000/', apiKey: 'tl_secret', fetch });
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(calls).toEqual([
      {
        url: 'http://127.0.0.1:3000/healthz',
        headers: { accept: 'application/json', authorization: 'Bearer tl_secret' },
      },
    ]);
  });

  it('turns a problem+json answer into an ApiError carrying its code', async () => {
    const problem = {
      type: 'urn:tcplab:problem:NOT_READY',
      title: 'Service not ready',
      status: 503,
      code: 'NOT_READY',
      detail: 'the database does not answer',
    };
    const { fetch } = fakeFetch(503, JSON.stringify(problem), 'application/problem+json');
    const error: unknown = await createClient({ baseUrl: 'http://x', fetch })
      .readiness()
      .catch((e: unknown) => e);
    expect(isApiError(error)).toBe(true);
    if (!isApiError(error)) return;
    expect(error.status).toBe(503);
    expect(error.code).toBe('NOT_READY');
    expect(error.message).toBe('the database does not answer');
  });

  it('still fails with an ApiError when a proxy answers with plain text', async () => {
    const { fetch } = fakeFetch(502, 'Bad Gateway', 'text/plain');
    const error: unknown = await createClient({ baseUrl: 'http://x', fetch })
      .health()
      .catch((e: unknown) => e);
    expect(isApiError(error) && { status: error.status, code: error.code }).toEqual({
      status: 502,
      code: 'HTTP_502',
    });
  });

  it('is not fooled by an ordinary Error', () => {
    expect(isApiError(new Error('boom'))).toBe(false);
  });
});
