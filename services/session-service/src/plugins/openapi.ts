/**
 * The OpenAPI document (generated from the route schemas) and Swagger UI at /docs, under a strict
 * CSP (plugins/protection.ts): its page loads every script, the initializer included, as a file.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Access, markAll } from '../auth/access.js';
import { SWAGGER_UI_POLICY, withPagePolicy } from './protection.js';

async function openapi(app: FastifyInstance, options: { version: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tcplab',
        version: options.version,
        description:
          'Simulated TCP endpoints: sessions, endpoints, segments and events. ' +
          'Every error is application/problem+json (RFC 9457) with a stable `code`.',
      },
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'admin', description: 'Tenants, their limits, and API keys (admin keys only)' },
      ],
    },
  });
  // Swagger UI's own routes are public, as the document they show is.
  await app.register(async (ui) => {
    markAll(ui, Access.public);
    withPagePolicy(ui, SWAGGER_UI_POLICY);
    await ui.register(swaggerUi, { routePrefix: '/docs' });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: Access.public } }, () =>
    app.swagger(),
  );
}

export default fp(openapi, { name: 'tcplab-openapi', fastify: '5.x' });
