/** Makes the session runtime available to routes as `app.runtime`. */
import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import fp from 'fastify-plugin';
import { SessionRuntime, type RuntimeOptions } from '../runtime/runtime.js';

declare module 'fastify' {
  interface FastifyInstance {
    runtime: SessionRuntime;
  }
}

export type RuntimePluginOptions = RuntimeOptions;

/** A stopping instance closes once no request has come for this long (ms)... */
const QUIET_BEFORE_CLOSE_MS = 500;
/** ...or this long after it handed its sessions over, whichever comes first. */
const MAX_SETTLE_MS = 5_000;

function runtime(app: FastifyInstance, options: RuntimePluginOptions, done: () => void) {
  const sessions = new SessionRuntime(app.db, app.log, options);
  app.decorate('runtime', sessions);
  // Realtime sessions that were playing when the service stopped play on.
  app.addHook('onReady', async () => {
    await sessions.resumePlaying().catch((error: unknown) => {
      app.log.warn({ err: error }, 'could not look for playing sessions (database not ready?)');
    });
  });
  // Other instances reach this one where it listens, unless TCPLAB_ADVERTISE_URL says where.
  app.addHook('onListen', (done) => {
    const address = app.server.address();
    if (address !== null && typeof address !== 'string') {
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const reachable = ['0.0.0.0', '[::]'].includes(host) ? hostname() : host;
      sessions.advertise(`http://${reachable}:${address.port}`);
    }
    done();
  });
  // While the server still answers: sessions go to serving instances (SIGTERM's hand-over).
  let lastRequestAt = performance.now();
  app.addHook('onRequest', (request, _reply, done) => {
    // The balancer's health checks go on to the end: only the API's requests count.
    if (request.url.startsWith('/v1/')) lastRequestAt = performance.now();
    done();
  });
  app.addHook('preClose', async () => {
    await sessions.handOver();
    // Requests decided on before the hand-over (another instance's forward, the balancer's
    // last) are still on their way: they are let in, and forwarded on, until none has come for
    // a while, before the server stops taking connections (one arriving as it stops is reset).
    const started = performance.now();
    while (
      performance.now() - lastRequestAt < QUIET_BEFORE_CLOSE_MS &&
      performance.now() - started < MAX_SETTLE_MS
    ) {
      await new Promise((resolve) => setTimeout(resolve, QUIET_BEFORE_CLOSE_MS / 4));
    }
  });
  app.addHook('onClose', async () => {
    await sessions.close();
  });
  done();
}

export default fp(runtime, {
  name: 'tcplab-runtime',
  fastify: '5.x',
  dependencies: ['tcplab-database'],
});
