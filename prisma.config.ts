// Configuration for the Prisma CLI (generate, and migrate deploy/status run by an operator).
// The service itself never reads this file: it applies prisma/migrations on its own at start.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
