// GET /v1/sessions/:sid/trace.pcapng: the stored segments as a capture file, the same bytes the
// engine writes for them, read by tshark packet for packet.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Segment } from '@tcplab/contract';
import { toPcapng, type PcapSegment } from '@tcplab/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { call, clientAndServer, migratedApp, newKey } from './apps.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('GET /v1/sessions/:sid/trace.pcapng', () => {
  it('serves the segments as pcapng, packet for packet, with a lost one commented', async () => {
    const { app, db } = await migratedApp(cleanups);
    const headers = { authorization: `Bearer ${await newKey(db, 'uni-a', 'instructor')}` };
    const created = await call(
      app,
      'POST',
      '/v1/sessions',
      { seed: 3, link: { delayMs: 5 } },
      headers,
    );
    const base = `/v1/sessions/${String(created.body?.id)}`;
    await call(app, 'POST', `${base}/faults`, { match: { flags: 'S.' }, action: 'drop' }, headers);
    await clientAndServer(app, base, headers);
    await call(app, 'POST', `${base}/endpoints/e2/send`, { data: 'hello' }, headers);
    await call(
      app,
      'POST',
      `${base}/clock`,
      { action: 'run', untilIdle: true, maxMs: 5000 },
      headers,
    );

    const response = await app.inject({ method: 'GET', url: `${base}/trace.pcapng`, headers });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-pcapng');
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="tcplab-${String(created.body?.id)}.pcapng"`,
    );
    const segments = (await call(app, 'GET', `${base}/segments?limit=1000`, undefined, headers))
      .body?.items as Segment[];
    expect(segments.map((s) => `${s.flags}${s.fate === 'dropped' ? ' dropped' : ''}`)).toEqual([
      'S',
      'S. dropped',
      'S',
      'S.',
      '.',
      'P.',
      '.',
    ]);
    // The same bytes as the engine writes for these segments.
    const expected = toPcapng(
      segments.map((s) => ({
        ...s,
        timeUs: Math.round(s.timeMs * 1000),
        reason: s.reason,
        options: s.options as PcapSegment['options'],
      })),
    );
    expect(new Uint8Array(response.rawPayload)).toEqual(expected);

    const dir = mkdtempSync(join(tmpdir(), 'tcplab-pcapng-'));
    try {
      const path = join(dir, 'trace.pcapng');
      writeFileSync(path, response.rawPayload);
      const tshark = spawnSync(
        'tshark',
        ['-r', path, '-n', '-T', 'fields', '-E', 'separator=|', '-e', 'tcp.flags.str'] //
          .concat(['-e', 'tcp.len', '-e', 'frame.comment']),
        { encoding: 'utf8' },
      );
      if (tshark.error !== undefined) throw new Error(`tshark: ${tshark.error.message}`);
      expect(tshark.status).toBe(0);
      const rows = tshark.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split('|'));
      expect(rows.map(([, len, comment]) => [Number(len), comment])).toEqual(
        segments.map((s) => [
          s.len,
          s.fate === 'dropped' ? `dropped by the link: ${s.reason ?? ''}` : '',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers 404 for another tenant's session, as every session route does", async () => {
    const { app, db } = await migratedApp(cleanups);
    const mine = { authorization: `Bearer ${await newKey(db, 'uni-a', 'instructor')}` };
    const theirs = { authorization: `Bearer ${await newKey(db, 'uni-b', 'instructor')}` };
    const created = await call(app, 'POST', '/v1/sessions', {}, mine);
    const answer = await call(
      app,
      'GET',
      `/v1/sessions/${String(created.body?.id)}/trace.pcapng`,
      undefined,
      theirs,
    );
    expect(answer).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });
});
