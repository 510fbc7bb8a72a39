/**
 * /v1/tenants and /v1/keys: tenants with their limits, and API keys. Admin keys only; an admin
 * manages every tenant (the bootstrap key is one).
 */
import type { ApiKey } from '@tcplab/contract';
import {
  ApiKeyList,
  ApiKeyParams,
  ApiKeyQuery,
  CreateApiKey,
  CreatedApiKey,
  CreateTenant,
  Problem,
  Tenant,
  TenantList,
  TenantParams,
  UpdateTenant,
  type Limits,
} from '@tcplab/contract';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Access } from '../auth/access.js';
import { Type } from 'typebox';
import { createKey, listKeys, revokeKeys } from '../auth/keys.js';
import { ApiProblem, Problems } from '../errors.js';
import type { ApiKey as ApiKeyRow, Prisma } from '../generated/prisma/client.js';
import { effectiveLimits, storedOverrides } from '../limits.js';

const errors = { 400: Problem, 403: Problem, 404: Problem };

function keyView(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    tenantId: row.tenantId,
    role: row.role,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    ...(row.revokedAt === null ? {} : { revokedAt: row.revokedAt.toISOString() }),
  };
}

const admin: FastifyPluginCallbackTypebox = (app, _options, done) => {
  const tenantRow = { include: { _count: { select: { sessions: true } } } } as const;
  const tenantView = (row: {
    id: string;
    name: string;
    limits: Prisma.JsonValue;
    createdAt: Date;
    _count: { sessions: number };
  }): Tenant => {
    const limits = storedOverrides(row.limits);
    return {
      id: row.id,
      name: row.name,
      limits,
      effectiveLimits: effectiveLimits(app.runtime.defaults, limits) satisfies Limits,
      sessions: row._count.sessions,
      createdAt: row.createdAt.toISOString(),
    };
  };
  const findTenant = async (id: string) => {
    const row = await app.db.prisma.tenant.findUnique({ where: { id }, ...tenantRow });
    if (row === null) throw new ApiProblem(Problems.notFound, `no tenant ${id}`);
    return row;
  };

  app.get(
    '/v1/tenants',
    {
      config: { access: Access.admin },
      schema: {
        tags: ['admin'],
        summary: 'List tenants with their limits and session counts',
        response: { 200: TenantList, 403: Problem },
      },
    },
    async () => {
      const rows = await app.db.prisma.tenant.findMany({ orderBy: { id: 'asc' }, ...tenantRow });
      return { items: rows.map(tenantView) };
    },
  );

  app.post(
    '/v1/tenants',
    {
      config: { access: Access.admin },
      schema: {
        tags: ['admin'],
        summary: 'Create a tenant, optionally with its own limits',
        body: CreateTenant,
        response: { 201: Tenant, 409: Problem, ...errors },
      },
    },
    async (request, reply) => {
      const { id, name, limits } = request.body;
      const exists = await app.db.prisma.tenant.findUnique({ where: { id } });
      if (exists !== null) {
        throw new ApiProblem(Problems.alreadyExists, `tenant ${id} exists; change it with PATCH`);
      }
      const row = await app.db.prisma.tenant.create({
        data: { id, name: name ?? id, limits: limits ?? {} },
        ...tenantRow,
      });
      app.runtime.forgetLimits(id);
      return reply.code(201).send(tenantView(row));
    },
  );

  app.get(
    '/v1/tenants/:tid',
    {
      config: { access: Access.admin },
      schema: {
        tags: ['admin'],
        summary: 'A tenant with its limits',
        params: TenantParams,
        response: { 200: Tenant, ...errors },
      },
    },
    async (request) => tenantView(await findTenant(request.params.tid)),
  );

  app.patch(
    '/v1/tenants/:tid',
    {
      config: { access: Access.admin },
      schema: {
        tags: ['admin'],
        summary: 'Rename a tenant or replace its own limits (they apply to its next requests)',
        params: TenantParams,
        body: UpdateTenant,
        response: { 200: Tenant, ...errors },
      },
    },
    async (request) => {
      const { tid } = request.params;
      await findTenant(tid);
      const { name, limits } = request.body;
      const row = await app.db.prisma.tenant.update({
        where: { id: tid },
        data: {
          ...(name === undefined ? {} : { name }),
          ...(limits === undefined ? {} : { limits }),
        },
        ...tenantRow,
      });
      app.runtime.forgetLimits(tid);
      return tenantView(row);
    },
  );

  app.get(
    '/v1/keys',
    {
      config: { access: Access.admin },
      schema: {
        tags: ['admin'],
        summary: 'List API keys (never their secrets), of one tenant or all',
        querystring: ApiKeyQuery,
        response: { 200: ApiKeyList, ...errors },
      },
    },
    async (request) => ({
      items: (await listKeys(app.db.prisma, request.query.tenantId)).map(keyView),
    }),
  );

  app.post(
    '/v1/keys',
    {
      config: { access: Access.admin },
      schema: {
        tags: ['admin'],
        summary: 'Create an API key for a tenant; its secret is in this answer only',
        body: CreateApiKey,
        response: { 201: CreatedApiKey, ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId, role, name } = request.body;
      await findTenant(tenantId);
      const { row, secret } = await createKey(app.db.prisma, {
        tenantId,
        role,
        name: name ?? `${role} key`,
      });
      return reply.code(201).send({ ...keyView(row), secret });
    },
  );

  app.delete(
    '/v1/keys/:kid',
    {
      config: { access: Access.admin },
      schema: {
        tags: ['admin'],
        summary: 'Revoke an API key (at once; revoking it again changes nothing)',
        params: ApiKeyParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { kid } = request.params;
      const row = await app.db.prisma.apiKey.findUnique({ where: { id: kid } });
      if (row === null) throw new ApiProblem(Problems.notFound, `no key ${kid}`);
      await revokeKeys(app.db.prisma, { id: kid });
      return reply.code(204).send(null);
    },
  );

  done();
};

export default admin;
