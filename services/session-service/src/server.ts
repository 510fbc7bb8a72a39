/**
 * Starts tcplab's session service: configuration, the database (embedded unless DATABASE_URL
 * is set), migrations, then the HTTP server. Shuts down in the reverse order on SIGINT/SIGTERM:
 * HTTP server, database pool, embedded PostgreSQL.
 *
 * A start that cannot succeed prints one line saying why and exits with status 1.
 */
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { ensureKey } from './auth/keys.js';
import { SERVICE_PROTECTION } from './plugins/protection.js';
import { ConfigError, loadConfig } from './config.js';
import { loggerOptions } from './logger.js';
import { DatabaseUnreachableError, openDatabase, redactUrl } from './store/database.js';
import {
  EmbeddedPostgresError,
  startEmbeddedPostgres,
  type EmbeddedPostgresStatus,
} from './store/embedded-postgres.js';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  readMigrations,
} from './store/migrations.js';

const SHUTDOWN_DELAY_MS = 15_000;
/** The tenant TCPLAB_BOOTSTRAP_KEY's admin key belongs to. */
const BOOTSTRAP_TENANT = 'default';

/** What has been opened so far, closed last-opened first. */
const closers: { what: string; close: () => Promise<void> }[] = [];

interface CloseLog {
  info(msg: string): void;
  error(obj: unknown, msg: string): void;
}

async function closeAll(log: CloseLog): Promise<void> {
  for (const { what, close } of closers.splice(0).reverse()) {
    try {
      await close();
      log.info(`closed ${what}`);
    } catch (error) {
      log.error({ err: error }, `closing ${what} failed`);
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const options = loggerOptions(config.logLevel);
  // Without a transport, lines go to stdout synchronously, as the pretty transport's do: an
  // asynchronous write still under way at exit could land after the lines that follow it
  // (the shutdown's "closed ..." lines were seen out of order).
  const logger =
    options.transport === undefined
      ? pino(options, pino.destination({ dest: 1, sync: true }))
      : pino(options);

  let drain: (() => void) | undefined = undefined;
  closeWithGrace({ delay: config.drainMs + SHUTDOWN_DELAY_MS, logger }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, 'shutting down after an error');
    else logger.info(`${signal ?? 'exit'}: shutting down`);
    if (signal !== undefined && drain !== undefined && config.drainMs > 0) {
      // /readyz answers 503 while requests are still served: the balancer sends them elsewhere
      // before the server stops taking them (TCPLAB_DRAIN_MS).
      drain();
      logger.info(`draining for ${config.drainMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, config.drainMs));
    }
    await closeAll(logger);
    // close-with-grace exits right after this; let the log transport write what is pending.
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  });

  const migrations = await readMigrations(DEFAULT_MIGRATIONS_DIR);

  let databaseUrl = config.databaseUrl;
  let embeddedDatabase: (() => EmbeddedPostgresStatus) | undefined;
  if (databaseUrl === undefined) {
    const embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      log: {
        info: (message) => logger.info(message),
        warn: (message) => logger.warn(message),
        debug: (message) => logger.debug(message),
      },
      // Its postmaster died and could not be started again: exit, for the supervisor (or the
      // user) to start the service afresh, rather than answer 503 for good.
      onFailure: (error) => {
        logger.fatal({ err: error }, 'the embedded PostgreSQL died and cannot be started again');
        void closeAll(logger).then(() => logger.flush(() => process.exit(1)));
      },
    });
    closers.push({ what: 'embedded PostgreSQL', close: () => embedded.stop() });
    databaseUrl = embedded.url;
    embeddedDatabase = () => embedded.status();
  } else {
    logger.info(`using the database at ${redactUrl(databaseUrl)}`);
  }

  const database = await openDatabase(databaseUrl, {
    maxTraceConnections: config.traceConnections,
    idleInTransactionMs: config.leaseMs,
  });
  closers.push({ what: 'the database pool', close: () => database.close() });

  const report = await applyMigrations(database.pool, migrations);
  for (const name of report.applied) logger.info(`applied migration ${name}`);
  for (const name of report.modified) {
    logger.warn(`migration ${name} was modified after it was applied (checksum differs)`);
  }

  if (config.bootstrapKey !== undefined) {
    await ensureKey(database.prisma, {
      key: config.bootstrapKey,
      tenantId: BOOTSTRAP_TENANT,
      role: 'admin',
      name: 'bootstrap (TCPLAB_BOOTSTRAP_KEY)',
    });
  }
  const app = await buildApp({
    database,
    migrations,
    loggerInstance: logger,
    auth: { mode: config.auth },
    runtime: {
      limits: config.limits,
      idleMs: config.sessionIdleMs,
      maxLiveSessions: config.maxLiveSessions,
      leaseMs: config.leaseMs,
      ...(config.advertiseUrl === undefined ? {} : { advertiseUrl: config.advertiseUrl }),
    },
    trustedProxies: config.trustedProxies,
    ...(embeddedDatabase === undefined ? {} : { embeddedDatabase }),
    protection: {
      ...SERVICE_PROTECTION,
      rateLimitPerMinute: config.rateLimitPerMinute,
      failedAuthPerMinute: config.failedAuthPerMinute,
      corsOrigins: config.corsOrigins,
    },
  });
  closers.push({ what: 'the HTTP server', close: () => app.close() });
  drain = () => app.runtime.drain();
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartError(
        `port ${config.port} on ${config.host} is already in use; stop what uses it or set PORT`,
      );
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') {
      throw new StartError(`cannot bind to ${config.host}: no such address here; check HOST`);
    }
    throw error;
  }
}

class StartError extends Error {}

main().catch(async (error: unknown) => {
  const message =
    error instanceof ConfigError ||
    error instanceof StartError ||
    error instanceof DatabaseUnreachableError ||
    error instanceof MigrationError ||
    error instanceof EmbeddedPostgresError
      ? error.message
      : String(error instanceof Error ? (error.stack ?? error.message) : error);
  await closeAll({ info: () => undefined, error: () => undefined });
  process.stderr.write(`tcplab: cannot start: ${message}\n`);
  process.exit(1);
});
