// Every model of prisma/schema.prisma written and read back through the generated client, on a
// database built by the hand-written migrations: proof that the two agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { createMigratedDatabase, type MigratedDatabase } from './databases.js';

let db: MigratedDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createMigratedDatabase();
  prisma = db.database.prisma;
});

afterAll(async () => {
  await db.dispose();
});

const MAX_SEQ = 0xffff_ffffn;

async function seedSession(tenantId: string) {
  await prisma.tenant.create({ data: { id: tenantId, name: `Course ${tenantId}` } });
  return prisma.session.create({
    data: {
      tenantId,
      name: 'handshake',
      seed: 42n,
      clockMode: 'realtime',
      speed: 0.25,
      settings: { link: { delayMs: 10, lossRate: 0.01 } },
    },
  });
}

describe('generated client against the migrated schema', () => {
  it('writes and reads tenants and API keys', async () => {
    await prisma.tenant.create({
      data: { id: 'uni-a', name: 'University A', limits: { maxSessions: 300 } },
    });
    const key = await prisma.apiKey.create({
      data: {
        tenantId: 'uni-a',
        role: 'instructor',
        name: 'lab platform',
        prefix: 'tl_abc123',
        secretHash: 'f'.repeat(64),
      },
    });

    const read = await prisma.tenant.findUniqueOrThrow({
      where: { id: 'uni-a' },
      include: { apiKeys: true },
    });
    expect(read.apiKeys).toEqual([key]);
    expect(read.limits).toEqual({ maxSessions: 300 });
    const unlimited = await prisma.tenant.create({ data: { id: 'uni-z', name: 'Z' } });
    expect(unlimited.limits).toEqual({}); // no limits of its own: the service's defaults
    expect(key).toMatchObject({ role: 'instructor', lastUsedAt: null, revokedAt: null });
    await expect(
      prisma.apiKey.create({
        data: {
          tenantId: 'uni-a',
          role: 'viewer',
          name: 'dup',
          prefix: 'tl_abc123',
          secretHash: 'x',
        },
      }),
    ).rejects.toThrow(/Unique constraint/);
  });

  it('writes and reads a session with its defaults', async () => {
    const session = await seedSession('uni-b');
    expect(session).toMatchObject({
      seed: 42n,
      clockMode: 'realtime',
      speed: 0.25,
      paused: true,
      nowUs: 0n,
      lastEventId: 0n,
      lastCommand: 0,
      settings: { link: { delayMs: 10, lossRate: 0.01 } },
    });
    expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("writes and reads endpoints by the engine's names, an accepted one naming its listener", async () => {
    const session = await seedSession('uni-c');
    await prisma.endpoint.create({
      data: {
        sessionId: session.id,
        id: 'e1',
        name: 'server',
        address: '10.0.0.2',
        port: 80,
        state: 'LISTEN',
      },
    });
    await prisma.endpoint.create({
      data: {
        sessionId: session.id,
        id: 'e3',
        parentId: 'e1',
        name: 'server#e3',
        address: '10.0.0.2',
        port: 80,
        options: { mss: 1460 },
        state: 'SYN-RECEIVED',
      },
    });

    const accepted = await prisma.endpoint.findMany({
      where: { sessionId: session.id, parentId: 'e1' },
    });
    expect(accepted.map((e) => [e.id, e.name, e.state, e.options])).toEqual([
      ['e3', 'server#e3', 'SYN-RECEIVED', { mss: 1460 }],
    ]);
    await expect(
      prisma.endpoint.create({
        data: { sessionId: session.id, id: 'e1', name: 'other', address: '10.0.0.9', port: 1 },
      }),
    ).rejects.toThrow(/Unique constraint/);
  });

  it('writes and reads the command log in order', async () => {
    const session = await seedSession('uni-d');
    await prisma.command.createMany({
      data: [
        {
          sessionId: session.id,
          seq: 2,
          kind: 'connect',
          payload: { remote: { port: 80 } },
          atUs: 5n,
        },
        { sessionId: session.id, seq: 1, kind: 'listen', payload: {}, atUs: 0n },
      ],
    });
    const commands = await prisma.command.findMany({
      where: { sessionId: session.id },
      orderBy: { seq: 'asc' },
    });
    expect(commands.map((c) => [c.seq, c.kind, c.atUs])).toEqual([
      [1, 'listen', 0n],
      [2, 'connect', 5n],
    ]);
  });

  it('writes segments with full 32-bit sequence numbers, other trace events with payloads', async () => {
    const session = await seedSession('uni-e');
    await prisma.segment.create({
      data: {
        sessionId: session.id,
        eventId: 1n,
        timeUs: 1_000n,
        srcAddress: '10.0.0.1',
        srcPort: 49152,
        dstAddress: '10.0.0.2',
        dstPort: 80,
        flags: 'S',
        seq: MAX_SEQ,
        ack: 0n,
        len: 0,
        window: 64240,
        options: { mss: 1460 },
        fate: 'dropped',
        reason: 'loss',
        label: 'retransmission',
      },
    });
    await prisma.traceEvent.create({
      data: {
        sessionId: session.id,
        eventId: 2n,
        timeUs: 1_000n,
        kind: 'state',
        payload: { to: 'SYN-SENT', from: 'CLOSED' },
      },
    });

    const dropped = await prisma.segment.findMany({
      where: { sessionId: session.id, fate: 'dropped' },
    });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({
      seq: MAX_SEQ,
      window: 64240,
      reason: 'loss',
      label: 'retransmission',
      flags: 'S',
      arrivesUs: null,
    });
    const state = await prisma.traceEvent.findFirstOrThrow({
      where: { sessionId: session.id, kind: 'state' },
    });
    // json, not jsonb: the payload comes back as written, keys in their order.
    expect(JSON.stringify(state.payload)).toBe('{"to":"SYN-SENT","from":"CLOSED"}');
  });

  it('writes and reads snapshots as bytes', async () => {
    const session = await seedSession('uni-f');
    const state = new Uint8Array([0, 1, 2, 254, 255]);
    await prisma.snapshot.create({
      data: { sessionId: session.id, commandSeq: 7, lastEventId: 99n, timeUs: 123_456n, state },
    });
    const read = await prisma.snapshot.findUniqueOrThrow({
      where: { sessionId_commandSeq: { sessionId: session.id, commandSeq: 7 } },
    });
    expect([...read.state]).toEqual([...state]);
    expect(read.lastEventId).toBe(99n);
    expect(read.engineBehaviour).toBe(1); // written before versions were kept: the first
  });

  it("writes and reads a session's lease and its engine behaviour", async () => {
    const session = await seedSession('uni-l');
    expect(session.engineBehaviour).toBe(1);
    expect(session.link).toBeNull();
    await prisma.session.update({
      where: { id: session.id },
      data: { engineBehaviour: 2, link: { delayMs: 40 } },
    });
    const expiresAt = new Date('2026-12-07T20:00:00.123Z');
    const lease = await prisma.sessionLease.create({
      data: {
        sessionId: session.id,
        owner: 'instance-1',
        ownerUrl: 'http://10.0.0.5:3000',
        epoch: 9_007_199_254_740_993n,
        expiresAt,
      },
    });
    const read = await prisma.session.findUniqueOrThrow({
      where: { id: session.id },
      include: { lease: true },
    });
    expect(read.lease).toEqual(lease);
    expect(read.engineBehaviour).toBe(2);
    expect(read.link).toEqual({ delayMs: 40 });
    expect(lease.epoch).toBe(9_007_199_254_740_993n); // a bigint, past 2^53
    await prisma.session.delete({ where: { id: session.id } });
    expect(await prisma.sessionLease.count({ where: { sessionId: session.id } })).toBe(0);
  });

  it('writes and reads the instances on the database', async () => {
    const seenAt = new Date('2026-12-07T20:00:00.5Z');
    const row = await prisma.clusterInstance.create({
      data: { id: 'instance-1', url: 'http://10.0.0.5:3000', state: 'serving', seenAt },
    });
    expect(await prisma.clusterInstance.findUniqueOrThrow({ where: { id: 'instance-1' } })).toEqual(
      row,
    );
  });

  it('writes and reads the secrets instances share', async () => {
    const key = await prisma.clusterKey.create({
      data: { name: 'forwarding', secret: new Uint8Array([1, 2, 3]) },
    });
    const read = await prisma.clusterKey.findUniqueOrThrow({ where: { name: 'forwarding' } });
    expect([...read.secret]).toEqual([1, 2, 3]);
    expect(read.createdAt).toEqual(key.createdAt);
  });

  it('writes and reads viewer tokens of a session', async () => {
    const session = await seedSession('uni-h');
    const expiresAt = new Date('2026-12-01T10:00:00.000Z');
    const token = await prisma.viewerToken.create({
      data: {
        sessionId: session.id,
        name: 'room 2',
        prefix: 'abcdef0123456789',
        secretHash: 'f'.repeat(64),
        expiresAt,
      },
    });
    const read = await prisma.session.findUniqueOrThrow({
      where: { id: session.id },
      include: { viewerTokens: true },
    });
    expect(read.viewerTokens).toEqual([token]);
    expect(token.expiresAt).toEqual(expiresAt);
    expect(token.revokedAt).toBeNull();
  });

  it("writes and reads the realtime adapter's attachments", async () => {
    const row = await prisma.socketIoAttachment.create({
      data: { payload: new Uint8Array([7, 8]) },
    });
    const read = await prisma.socketIoAttachment.findUniqueOrThrow({ where: { id: row.id } });
    expect([...read.payload]).toEqual([7, 8]);
    expect(typeof read.id).toBe('bigint');
  });

  it('deleting a session deletes everything that belongs to it', async () => {
    const session = await seedSession('uni-g');
    await prisma.endpoint.create({
      data: { sessionId: session.id, id: 'e1', name: 'a', address: '10.0.0.1', port: 1 },
    });
    await prisma.command.create({
      data: { sessionId: session.id, seq: 1, kind: 'listen', payload: {}, atUs: 0n },
    });
    await prisma.snapshot.create({
      data: {
        sessionId: session.id,
        commandSeq: 1,
        lastEventId: 0n,
        timeUs: 0n,
        state: new Uint8Array(),
      },
    });

    await prisma.viewerToken.create({
      data: {
        sessionId: session.id,
        name: 'v',
        prefix: '0123456789abcdef',
        secretHash: '0'.repeat(64),
        expiresAt: new Date(),
      },
    });

    await prisma.session.delete({ where: { id: session.id } });

    const where = { sessionId: session.id };
    expect([
      await prisma.endpoint.count({ where }),
      await prisma.command.count({ where }),
      await prisma.snapshot.count({ where }),
      await prisma.viewerToken.count({ where }),
    ]).toEqual([0, 0, 0, 0]);
  });
});
