/** /v1/tenants and /v1/keys: tenants with their limits, and API keys. Admin keys only. */
import type {
  ApiKeyList,
  ApiKeyQuery,
  CreateApiKey,
  CreatedApiKey,
  CreateTenant,
  Tenant,
  TenantList,
  UpdateTenant,
} from '@tcplab/contract';
import { path, type Rest } from '../rest.js';

export interface TenantsApi {
  /** GET /v1/tenants: with their limits and session counts. */
  list(): Promise<TenantList>;
  /** POST /v1/tenants (201); ALREADY_EXISTS (409) when the id is taken. */
  create(body: CreateTenant): Promise<Tenant>;
  /** GET /v1/tenants/:tid */
  get(tenantId: string): Promise<Tenant>;
  /** PATCH /v1/tenants/:tid: rename, or replace its own limits ({} returns to the defaults). */
  update(tenantId: string, body: UpdateTenant): Promise<Tenant>;
}

export interface KeysApi {
  /** GET /v1/keys?tenantId=: the keys of one tenant or all, never their secrets. */
  list(query?: ApiKeyQuery): Promise<ApiKeyList>;
  /** POST /v1/keys (201): its `secret` is in this answer only. */
  create(body: CreateApiKey): Promise<CreatedApiKey>;
  /** DELETE /v1/keys/:kid (204): revoked at once; revoking again changes nothing. */
  revoke(keyId: string): Promise<void>;
}

export interface AdminApi {
  tenants: TenantsApi;
  keys: KeysApi;
}

export function adminApi(rest: Rest): AdminApi {
  return {
    tenants: {
      list: () => rest({ method: 'GET', path: '/v1/tenants' }),
      create: (body) => rest({ method: 'POST', path: '/v1/tenants', body }),
      get: (tid) => rest({ method: 'GET', path: path`/v1/tenants/${tid}` }),
      update: (tid, body) => rest({ method: 'PATCH', path: path`/v1/tenants/${tid}`, body }),
    },
    keys: {
      list: (query = {}) => rest({ method: 'GET', path: '/v1/keys', query: { ...query } }),
      create: (body) => rest({ method: 'POST', path: '/v1/keys', body }),
      revoke: (kid) => rest({ method: 'DELETE', path: path`/v1/keys/${kid}` }),
    },
  };
}
