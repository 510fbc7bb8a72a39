/** Makes the session runtime available to routes as `app.runtime`. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { SessionRuntime, type RuntimeOptions } from '../runtime/runtime.js';

declare module 'fastify' {
  interface FastifyInstance {
    runtime: SessionRuntime;
  }
}

export type RuntimePluginOptions = RuntimeOptions;

function runtime(app: FastifyInstance, options: RuntimePluginOptions, done: () => void) {
  app.decorate('runtime', new SessionRuntime(app.db, app.log, options));
  done();
}

export default fp(runtime, {
  name: 'tcplab-runtime',
  fastify: '5.x',
  dependencies: ['tcplab-database'],
});
