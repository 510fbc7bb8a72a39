/**
 * `npm run keys -- create --tenant T --role R [--name N]`: creates an API key and prints it
 * (once: only its hash is kept). `list [--tenant T]` shows keys by prefix; `revoke <prefix>`
 * revokes one. Works on the service's database: DATABASE_URL, or the embedded one in
 * TCPLAB_DATA_DIR (the running service's, or started for the command when none runs).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ensureKey,
  generateKey,
  keyPrefix,
  listKeys,
  revokeKeys,
  ROLES,
  type Role,
} from '../auth/keys.js';
import { loadConfig } from '../config.js';
import { openDatabase, type Database } from '../store/database.js';
import { startEmbeddedPostgres } from '../store/embedded-postgres.js';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, readMigrations } from '../store/migrations.js';
import { isRunning } from '../store/processes.js';

const USAGE = `usage: npm run keys -- create --tenant <tenant> --role <admin|instructor|viewer> [--name <name>]
       npm run keys -- list [--tenant <tenant>]
       npm run keys -- revoke <prefix>`;

class UsageError extends Error {}

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** The embedded cluster a running service holds: its port from postmaster.pid. */
async function runningEmbeddedUrl(dataDir: string): Promise<string | undefined> {
  const pidFile = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(
    () => undefined,
  );
  const lines = pidFile?.split('\n') ?? [];
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !(await isRunning(pid)) || !(port > 0))
    return undefined;
  const credentials = JSON.parse(await readFile(join(dataDir, 'postgres.json'), 'utf8')) as {
    password: string;
  };
  return `postgresql://postgres:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/tcplab`;
}

async function withDatabase(work: (database: Database) => Promise<void>): Promise<void> {
  const config = loadConfig();
  let url = config.databaseUrl ?? (await runningEmbeddedUrl(config.dataDir));
  let stop: (() => Promise<void>) | undefined;
  if (url === undefined) {
    const postgres = await startEmbeddedPostgres({ dataDir: config.dataDir, log: quiet });
    url = postgres.url;
    stop = () => postgres.stop();
  }
  try {
    const database = await openDatabase(url);
    try {
      await applyMigrations(database.pool, await readMigrations(DEFAULT_MIGRATIONS_DIR));
      await work(database);
    } finally {
      await database.close();
    }
  } finally {
    await stop?.();
  }
}

async function create(database: Database, tenant: string, role: Role, name: string) {
  const key = generateKey();
  await ensureKey(database.prisma, { key, tenantId: tenant, role, name });
  console.log(`created ${role} key ${keyPrefix(key)} for tenant ${tenant}; it is shown only now:`);
  console.log(key);
}

async function list(database: Database, tenant: string | undefined) {
  const keys = await listKeys(database.prisma, tenant);
  for (const k of keys) {
    const revoked = k.revokedAt === null ? '' : ` revoked ${k.revokedAt.toISOString()}`;
    console.log(`${k.prefix}  ${k.tenantId}  ${k.role}  ${k.name}${revoked}`);
  }
  if (keys.length === 0) console.log('no keys');
}

async function revoke(database: Database, prefix: string) {
  if ((await revokeKeys(database.prisma, { prefix })) === 0)
    throw new UsageError(`no active key with prefix ${prefix}`);
  console.log(`revoked ${prefix}`);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined) {
    console.log(USAGE);
    return;
  }
  if (command === 'create') {
    const tenant = values.tenant;
    const role = values.role as Role | undefined;
    if (tenant === undefined || !/^[a-z0-9][a-z0-9_-]{0,62}$/i.test(tenant)) {
      throw new UsageError('--tenant is required: letters, digits, - and _ (up to 63)');
    }
    if (role === undefined || !ROLES.includes(role)) {
      throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    }
    await withDatabase((db) => create(db, tenant, role, values.name ?? `${role} key`));
  } else if (command === 'list') {
    await withDatabase((db) => list(db, values.tenant));
  } else if (command === 'revoke' && rest.length === 1) {
    await withDatabase((db) => revoke(db, rest[0] ?? ''));
  } else {
    throw new UsageError(`unknown command: ${[command, ...rest].join(' ')}`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  console.error(`tcplab keys: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof UsageError) console.error(USAGE);
  process.exitCode = 1;
}
