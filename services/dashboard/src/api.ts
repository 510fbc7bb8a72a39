/**
 * How the page reaches the service: the SDK on the page's own origin (the service serves the
 * dashboard), with an API key kept in this browser, or a viewer token from the classroom link
 * (`#token=tcplab_view_...`), which only watches.
 */
import { createClient, type TcplabClient } from '@tcplab/client';

const KEY_STORAGE = 'tcplab.apiKey';

export interface Access {
  client: TcplabClient;
  /** A viewer token: read-only, one session, events only. */
  viewer: boolean;
  token: string | undefined;
}

export function viewerToken(): string | undefined {
  const match = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

export function storedKey(): string | undefined {
  return localStorage.getItem(KEY_STORAGE) ?? undefined;
}

export function storeKey(key: string | undefined): void {
  if (key === undefined || key === '') localStorage.removeItem(KEY_STORAGE);
  else localStorage.setItem(KEY_STORAGE, key);
}

export function access(): Access {
  const token = viewerToken();
  const baseUrl = location.origin;
  if (token !== undefined) {
    // A viewer token reads its session over REST too (GET only), and watches it.
    return { client: createClient({ baseUrl, apiKey: token }), viewer: true, token };
  }
  const key = storedKey();
  return {
    client: createClient({ baseUrl, ...(key === undefined ? {} : { apiKey: key }) }),
    viewer: false,
    token: key,
  };
}

/** The page of one session: `?session=<id>` (and the viewer token, if any, in the hash). */
export function sessionUrl(sessionId: string, token?: string): string {
  return `${location.pathname}?session=${encodeURIComponent(sessionId)}${token === undefined ? '' : `#token=${encodeURIComponent(token)}`}`;
}

export function currentSession(): string | undefined {
  return new URLSearchParams(location.search).get('session') ?? undefined;
}
