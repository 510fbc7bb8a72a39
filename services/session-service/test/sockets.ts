/** Real socket.io clients of a listening app, for the realtime tests. */
import type {
  ClientToServerEvents,
  EventBatch,
  ServerToClientEvents,
  Subscribe,
  SubscriptionAck,
  TraceEvent,
} from '@tcplab/contract';
import { io as connectTo, type Socket } from 'socket.io-client';
import type { App } from '../src/app.js';
import { call, clientAndServer } from './apps.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Starts the app on a free loopback port; answers its URL. */
export function listening(app: App): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

/** A connected client (closed by `cleanups`), or the reason it was refused. */
export function connect(
  cleanups: (() => Promise<void>)[],
  url: string,
  token?: string,
  /** Headers of the handshake (X-Forwarded-For, say). */
  extraHeaders?: Record<string, string>,
): Promise<Client> {
  const socket: Client = connectTo(url, {
    transports: ['websocket'],
    reconnection: false,
    ...(token === undefined ? {} : { auth: { token } }),
    ...(extraHeaders === undefined ? {} : { extraHeaders }),
  });
  cleanups.push(() => {
    socket.disconnect();
    return Promise.resolve();
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export function subscribe(socket: Client, request: Subscribe) {
  return new Promise<SubscriptionAck>((resolve) => socket.emit('subscribe', request, resolve));
}

/** Every event the socket receives for `sessionId`, in arrival order. */
export function collect(socket: Client, sessionId: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  socket.on('events', (batch: EventBatch) => {
    if (batch.sessionId === sessionId) events.push(...batch.events);
  });
  return events;
}

export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A session with a transfer of `bytes` under way (headers: the caller's key). */
export async function transfer(app: App, headers: Record<string, string>, bytes = 1_000_000) {
  const created = await call(
    app,
    'POST',
    '/v1/sessions',
    {
      seed: 5,
      link: { delayMs: 5 },
      defaults: { sndBuffer: 2 * bytes, rcvBuffer: 2 * bytes },
    },
    headers,
  );
  const sid = String(created.body?.id);
  const base = `/v1/sessions/${sid}`;
  await clientAndServer(app, base, headers);
  await call(app, 'POST', `${base}/endpoints/e2/send`, { bytes }, headers);
  return { sid, base };
}

/** The whole stored trace through REST. */
export async function storedTrace(app: App, base: string, headers: Record<string, string>) {
  const items: TraceEvent[] = [];
  for (let after = 0; ;) {
    const page = await call(
      app,
      'GET',
      `${base}/events?limit=1000&after=${after}`,
      undefined,
      headers,
    );
    const batch = page.body?.items as TraceEvent[];
    if (batch.length === 0) return items;
    items.push(...batch);
    after = page.body?.nextAfter as number;
  }
}
