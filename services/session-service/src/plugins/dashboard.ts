/**
 * The classroom dashboard (services/dashboard), built to static files, served at `/`: the page
 * and its assets, public like /docs (the page asks for a key; a viewer token comes in its link),
 * under the page CSP (plugins/protection.ts): the build has no inline script or style.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Access, markAll } from '../auth/access.js';
import { ApiProblem, Problems } from '../errors.js';
import { withPagePolicy } from './protection.js';

/** Where the dashboard's build is, or undefined when the package is not there. */
export function dashboardRoot(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@tcplab/dashboard/package.json');
    return join(dirname(manifest), 'dist');
  } catch {
    return undefined;
  }
}

async function dashboard(app: FastifyInstance, options: { root?: string | undefined }) {
  const root = options.root ?? dashboardRoot();
  if (root === undefined || !existsSync(join(root, 'index.html'))) {
    // Not built (a service run from source before `npm run build`): say so at `/`.
    app.get('/', { schema: { hide: true }, config: { access: Access.public } }, () => {
      throw new ApiProblem(Problems.notFound, 'the dashboard is not built: run `npm run build`');
    });
    return;
  }
  // The files there are, each a route of its own (no catch-all beside the API's routes).
  await app.register(async (files) => {
    markAll(files, Access.public);
    withPagePolicy(files);
    await files.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
    });
  });
}

export default fp(dashboard, { name: 'tcplab-dashboard', fastify: '5.x' });
