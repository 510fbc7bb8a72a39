/**
 * socket.io on the service's HTTP server (path /socket.io): clients subscribe to sessions and
 * get their trace events, stored then live (stream.ts). A connection carries an API key or a
 * viewer token, as `auth: { token }` or an `Authorization: Bearer` header; a key sees its
 * tenant's sessions, a viewer token its one session, until it expires or is revoked.
 */
import {
  ErrorCode,
  Subscribe,
  Unsubscribe,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SubscriptionAck,
} from '@tcplab/contract';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createAdapter } from '@socket.io/postgres-adapter';
import helmet from 'helmet';
import { Server, type Socket } from 'socket.io';
import { Value } from 'typebox/value';
import { clientAddress } from '../auth/client-address.js';
import { verifyKey, type Principal } from '../auth/keys.js';
import { secretPrefix } from '../auth/secrets.js';
import {
  looksLikeViewerToken,
  verifyViewerToken,
  type ViewerPrincipal,
} from '../auth/viewer-tokens.js';
import { ApiProblem, Problems } from '../errors.js';
import { SessionElsewhere } from '../runtime/runtime.js';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import { LOCAL_PRINCIPAL, type AuthOptions } from '../plugins/auth.js';
import { API_HEADERS } from '../plugins/protection.js';
import { adapterPool } from './adapter-pool.js';
import { Cluster, type ClusterEvents } from './cluster.js';
import { TraceHub } from './hub.js';
import { EventSender } from './sender.js';
import { MetricsThrottle } from './metrics-throttle.js';
import { MAX_BACKLOG_EVENTS, Outbox } from './outbox.js';
import { SessionStream, type TraceSource } from './stream.js';

/** Sessions one connection may follow at once. */
export const MAX_SUBSCRIPTIONS = 16;

/** Who a connection speaks for: an API key's tenant and role, or a viewer token. */
type Watcher = Principal | ViewerPrincipal;

type RealtimeSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  Watcher
>;

/** The room of the connections that use a viewer token: revoking it disconnects them. */
export function viewerRoom(tokenId: string): string {
  return `viewer-token:${tokenId}`;
}

export interface RealtimeOptions {
  auth: AuthOptions;
  /** Proxies whose X-Forwarded-For is believed, as fastify's trustProxy (app.ts). */
  trustedProxies?: readonly string[] | undefined;
  /** How often a watched remote session's owner is asked again (cluster.ts; tests shorten it). */
  clusterRenewMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    io: Server<ClientToServerEvents, ServerToClientEvents, ClusterEvents, Watcher>;
  }
}

/** The key a connection presents: `auth.token`, else an Authorization: Bearer header. */
function presentedKey(socket: RealtimeSocket): string | undefined {
  const token = (socket.handshake.auth as { token?: unknown }).token;
  if (typeof token === 'string' && token !== '') return token;
  const header = socket.handshake.headers.authorization;
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

function refusal(code: string, message: string): Error & { data: { code: string } } {
  return Object.assign(new Error(message), { data: { code } });
}

/** setTimeout's longest delay (about 24.8 days); a later expiry re-arms on reconnect. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function viewerTokenRefusal(check: { reason: string; expiresAt?: Date }): string {
  if (check.reason === 'expired') {
    return `the viewer token expired at ${check.expiresAt?.toISOString() ?? 'an earlier time'}`;
  }
  if (check.reason === 'revoked') return 'the viewer token was revoked';
  return 'the viewer token is unknown';
}

function realtime(app: FastifyInstance, options: RealtimeOptions, done: () => void) {
  const io: FastifyInstance['io'] = new Server(app.server, { serveClient: false });
  // engine.io answers its HTTP requests (handshake, polling, refusals) itself, not through
  // fastify: its middlewares give them the REST answers' security headers.
  io.engine.use(helmet(API_HEADERS));
  io.adapter(
    createAdapter(adapterPool(app.db.pool), {
      errorHandler: (error) => app.log.warn({ err: error }, 'socket.io adapter'),
    }),
  );
  const hub = new TraceHub(app.runtime);
  const sender = new EventSender(io);
  const cluster = new Cluster(io, app.runtime, app.db.prisma, app.log, options.clusterRenewMs);
  app.decorate('io', io);

  const addressOf = clientAddress(options.trustedProxies);
  io.use((socket, next) => {
    if (options.auth.mode === 'disabled') {
      socket.data = LOCAL_PRINCIPAL;
      next();
      return;
    }
    authenticate(socket).then(
      (principal) => {
        socket.data = principal;
        next();
      },
      (error: Error) => next(error),
    );
  });

  /**
   * Who a connection speaks for, or a refusal. Connections without a valid key or token draw
   * on their address's failure budget, the REST requests' (plugins/auth.ts).
   */
  async function authenticate(socket: RealtimeSocket): Promise<Watcher> {
    const key = presentedKey(socket);
    const address = addressOf(socket.request);
    const now = Date.now();
    const prefix = key === undefined ? undefined : secretPrefix(key);
    const wait = app.failedAuth.retryAfterS(address, prefix, now);
    if (wait > 0) {
      throw refusal(ErrorCode.RateLimited, app.failedAuth.refusal(wait));
    }
    let verdict: { principal: Watcher } | { refused: string };
    try {
      verdict = await verify(key);
    } catch (error) {
      app.log.error({ err: error }, 'could not check a realtime key or token');
      throw refusal(ErrorCode.NotReady, 'the service cannot check keys now; retry');
    }
    app.failedAuth.settle(address, prefix, !('refused' in verdict), now);
    if ('refused' in verdict) throw refusal(ErrorCode.Unauthorized, verdict.refused);
    return verdict.principal;
  }

  async function verify(
    key: string | undefined,
  ): Promise<{ principal: Watcher } | { refused: string }> {
    if (key === undefined) {
      return { refused: 'connect with auth: { token: <API key or viewer token> }' };
    }
    if (looksLikeViewerToken(key)) {
      const check = await verifyViewerToken(app.db.prisma, key, new Date());
      return check.ok ? { principal: check.principal } : { refused: viewerTokenRefusal(check) };
    }
    const principal = await verifyKey(app.db.pool, key);
    return principal === undefined
      ? { refused: 'the API key is unknown or revoked' }
      : { principal };
  }

  /**
   * Where a session's events come from: this process if it runs the session, else the
   * instance that does; if none does, this process loads it. 404 for another tenant's.
   */
  async function sourceOf(
    tenantId: string,
    sessionId: string,
  ): Promise<{ source: TraceSource; lastEventId: number }> {
    const remote =
      app.runtime.running(sessionId) === undefined ? await cluster.locate(sessionId) : undefined;
    if (remote === undefined) {
      let session;
      try {
        session = await app.runtime.get(tenantId, sessionId);
      } catch (error) {
        // Held by an instance that did not answer `watch` (it died, its lease not yet lapsed):
        // the client subscribes again shortly, and an instance takes the session meanwhile.
        if (!(error instanceof SessionElsewhere)) throw error;
        throw new ApiProblem(Problems.notReady, 'the session is moving between instances; retry');
      }
      return { source: hub.source(session), lastEventId: session.lastEventId };
    }
    const { lastEventId } = await app.runtime.stored(tenantId, sessionId);
    return { source: cluster.source(sessionId, remote), lastEventId };
  }

  // Connections per tenant on this instance (maxConnections): counted once authenticated, given
  // back at disconnect.
  const connections = new Map<string, number>();
  io.use((socket, next) => {
    const { tenantId } = socket.data;
    app.runtime.limitsFor(tenantId).then(
      ({ maxConnections }) => {
        const open = connections.get(tenantId) ?? 0;
        if (open >= maxConnections) {
          next(
            refusal(
              ErrorCode.LimitReached,
              `the tenant has ${open} connections open, its limit (maxConnections)`,
            ),
          );
          return;
        }
        connections.set(tenantId, open + 1);
        socket.once('disconnect', () => {
          const left = (connections.get(tenantId) ?? 1) - 1;
          if (left > 0) connections.set(tenantId, left);
          else connections.delete(tenantId);
        });
        next();
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'could not read the limits of a realtime tenant');
        next(refusal(ErrorCode.NotReady, 'the service cannot check limits now; retry'));
      },
    );
  });

  io.on('connection', (socket) => {
    const streams = new Map<string, SessionStream>();
    const viewing = 'viewerToken' in socket.data ? socket.data.viewerToken : undefined;
    let expiry: NodeJS.Timeout | undefined;
    if (viewing !== undefined) {
      void socket.join(viewerRoom(viewing.id));
      // The token stops working at its expiry: so does a connection made with it.
      expiry = setTimeout(
        () => socket.disconnect(true),
        Math.min(viewing.expiresAt.getTime() - Date.now(), MAX_TIMER_MS),
      );
    }
    const outbox = new Outbox({
      emit: (sessionId, events) => sender.send(socket.id, sessionId, events),
      cutOff: (lastSent) => {
        sender.flush();
        for (const [sessionId, lastEventId] of lastSent) {
          socket.emit('cutoff', {
            sessionId,
            lastEventId,
            reason: `more than ${MAX_BACKLOG_EVENTS} events waited for this client; resume with after`,
          });
        }
        app.log.info({ sessions: [...lastSent.keys()] }, 'realtime client too far behind: cut off');
        socket.disconnect(true);
      },
      onDrain: (listener) => socket.conn.on('drain', listener),
    });

    const subscribe = async (request: unknown, ack: (answer: SubscriptionAck) => void) => {
      if (!Value.Check(Subscribe, request)) {
        ack({
          ok: false,
          code: ErrorCode.ValidationFailed,
          message:
            'subscribe takes {sessionId: <uuid>, after?: <eventId>, metricsEveryMs?: 1..60000}',
        });
        return;
      }
      const { sessionId, after, metricsEveryMs } = request;
      /** Refuses a new session past MAX_SUBSCRIPTIONS; true when it did. */
      const refusedAsFull = (): boolean => {
        if (streams.has(sessionId) || streams.size < MAX_SUBSCRIPTIONS) return false;
        ack({
          ok: false,
          code: ErrorCode.LimitReached,
          message: `a connection follows at most ${MAX_SUBSCRIPTIONS} sessions`,
        });
        return true;
      };
      if (viewing !== undefined && viewing.sessionId !== sessionId) {
        ack({
          ok: false,
          code: ErrorCode.Forbidden,
          message: `this viewer token watches session ${viewing.sessionId} only`,
        });
        return;
      }
      if (refusedAsFull()) return;
      let found;
      try {
        found = await sourceOf(socket.data.tenantId, sessionId);
      } catch (error) {
        if (error instanceof ApiProblem) {
          ack({ ok: false, code: error.problem.code, message: error.message });
        } else if (isDatabaseUnavailable(error)) {
          ack({
            ok: false,
            code: ErrorCode.NotReady,
            message: 'the database does not answer; retry',
          });
        } else {
          app.log.error({ err: error, sessionId }, 'realtime subscription failed');
          ack({ ok: false, code: ErrorCode.Internal, message: 'the subscription failed; retry' });
        }
        return;
      }
      // Meanwhile the client may have gone (a stream now would never be closed), or other
      // subscriptions of this connection may have taken the last places.
      if (socket.disconnected) return;
      if (refusedAsFull()) return;
      // Subscribing again resumes from the new `after`: what waited for the old stream goes,
      // and what was sent for it arrives before the answer. The old stream stops once the new
      // one listens, so that a feed they share (cluster.ts) does not close in between.
      const old = streams.get(sessionId);
      outbox.forget(sessionId);
      sender.flush();
      outbox.begin(sessionId, after ?? 0);
      const stream: SessionStream = new SessionStream(
        found.source,
        app.db.prisma,
        sessionId,
        after ?? 0,
        (events) => outbox.send(sessionId, events),
        (reason) => {
          // The instance running the session went away: the client resumes elsewhere.
          sender.flush();
          socket.emit('cutoff', { sessionId, lastEventId: outbox.lastSentOf(sessionId), reason });
          socket.disconnect(true);
        },
        metricsEveryMs === undefined ? undefined : new MetricsThrottle(metricsEveryMs),
      );
      old?.close();
      streams.set(sessionId, stream);
      ack({
        ok: true,
        sessionId,
        lastEventId: found.lastEventId,
        ...(metricsEveryMs === undefined ? {} : { metricsEveryMs }),
      });
      await stream.replay();
    };

    socket.on('subscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      subscribe(request, ack).catch((error: unknown) => {
        app.log.error({ err: error }, 'realtime subscription failed');
        socket.disconnect(true);
      });
    });

    socket.on('unsubscribe', (request, ack) => {
      if (typeof ack !== 'function') return;
      if (!Value.Check(Unsubscribe, request)) {
        ack({
          ok: false,
          code: ErrorCode.ValidationFailed,
          message: 'unsubscribe takes {sessionId}',
        });
        return;
      }
      const stream = streams.get(request.sessionId);
      if (stream === undefined) {
        ack({
          ok: false,
          code: ErrorCode.NotFound,
          message: `not subscribed to ${request.sessionId}`,
        });
        return;
      }
      stream.close();
      sender.flush(); // the events sent so far arrive before the answer
      const lastEventId = outbox.lastSentOf(request.sessionId);
      outbox.forget(request.sessionId);
      streams.delete(request.sessionId);
      ack({ ok: true, sessionId: request.sessionId, lastEventId });
    });

    socket.on('disconnect', () => {
      clearTimeout(expiry);
      for (const stream of streams.values()) stream.close();
      streams.clear();
    });
  });

  app.addHook('preClose', (done) => {
    io.local.disconnectSockets(true); // this instance's clients, not the other instances'
    done();
  });
  app.addHook('onClose', async () => {
    hub.close();
    cluster.close();
    await io.close();
  });
  done();
}

export default fp(realtime, {
  name: 'tcplab-realtime',
  fastify: '5.x',
  dependencies: ['tcplab-database', 'tcplab-runtime'],
});
