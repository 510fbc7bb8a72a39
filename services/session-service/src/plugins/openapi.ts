/** The OpenAPI document (generated from the route schemas) and Swagger UI at /docs. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Access, markAll } from '../auth/access.js';

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
    await ui.register(swaggerUi, { routePrefix: '/docs' });
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: Access.public } }, () =>
    app.swagger(),
  );
}

export default fp(openapi, { name: 'tcplab-openapi', fastify: '5.x' });
