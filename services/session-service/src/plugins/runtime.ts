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

/** How long a stopping instance still takes connections after handing its sessions over. */
const FORWARDS_SETTLE_MS = 250;

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
  app.addHook('preClose', async () => {
    await sessions.handOver();
    // A request another instance forwarded here just before the hand-over is still on its way:
    // it is let in (and forwarded on) before the server stops taking connections.
    await new Promise((resolve) => setTimeout(resolve, FORWARDS_SETTLE_MS));
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
