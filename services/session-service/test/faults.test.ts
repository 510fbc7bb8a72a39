// Fault rules and injected segments over REST: the lessons "lose the FIN" and "play the peer".
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../src/app.js';
import { migratedApp } from './apps.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connectedLab() {
  const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
  const post = (url: string, payload?: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
  const sid = (await post('/v1/sessions', { seed: 1 })).json<{ id: string }>().id;
  const base = `/v1/sessions/${sid}`;
  await post(`${base}/endpoints`, { address: '10.0.0.2', port: 80, options: { isn: 5000 } });
  await post(`${base}/endpoints`, { address: '10.0.0.1', port: 49152, options: { isn: 1000 } });
  await post(`${base}/endpoints/e1/listen`);
  return { app, base, post };
}

async function run(
  post: (url: string, p?: Record<string, unknown>) => Promise<unknown>,
  base: string,
) {
  await post(`${base}/clock`, { action: 'run', untilIdle: true, maxMs: 10_000 });
}

type SegmentItem = {
  flags: string;
  fate: string;
  reason?: string;
  timeMs: number;
  endpointId?: string;
};

async function segments(app: App, base: string): Promise<SegmentItem[]> {
  const response = await app.inject({ method: 'GET', url: `${base}/segments?limit=1000` });
  return response.json<{ items: SegmentItem[] }>().items;
}

describe('fault rules', () => {
  it('drops the client FIN once: it is retransmitted after an RTO and the close completes', async () => {
    const { app, base, post } = await connectedLab();
    await post(`${base}/endpoints/e2/connect`, { remote: { address: '10.0.0.2', port: 80 } });
    await run(post, base);
    const created = await post(`${base}/faults`, {
      match: { from: 'e2', flags: 'F.' },
      action: 'drop',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: 'f1',
      match: { from: { address: '10.0.0.1', port: 49152 }, flags: 'F.' },
      action: 'drop',
      seen: 0,
      applied: 0,
    });
    await post(`${base}/endpoints/e2/close`);
    await run(post, base);

    const fins = (await segments(app, base)).filter(
      (s) => s.flags === 'F.' && s.endpointId === 'e2',
    );
    expect(fins.map((s) => `${s.timeMs} ${s.fate} ${s.reason ?? ''}`.trim())).toEqual([
      '30 dropped fault f1',
      '1030 delivered',
    ]);
    const listed = await app.inject({ method: 'GET', url: `${base}/faults` });
    expect(listed.json()).toMatchObject({ items: [{ id: 'f1', seen: 2, applied: 1 }] });
    expect((await app.inject({ method: 'DELETE', url: `${base}/faults/f1` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `${base}/faults` })).json()).toEqual({
      items: [],
    });
  });

  it('refuses bad rules with the field named, and unknown endpoints and rules with 404', async () => {
    const { app, base, post } = await connectedLab();
    const badFlags = await post(`${base}/faults`, { match: { flags: 'SX' }, action: 'drop' });
    expect(badFlags.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    const noDelay = await post(`${base}/faults`, { match: {}, action: 'delay' });
    expect(noDelay.json()).toMatchObject({ status: 400, errors: [{ path: '/body/delayMs' }] });
    const noEndpoint = await post(`${base}/faults`, { match: { from: 'e9' }, action: 'drop' });
    expect(noEndpoint.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const noRule = await app.inject({ method: 'DELETE', url: `${base}/faults/f7` });
    expect(noRule.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('injected segments', () => {
  it('a SYN played by hand gets a SYN,ACK, which goes nowhere: no host at that address', async () => {
    const { app, base, post } = await connectedLab();
    const injected = await post(`${base}/inject`, {
      src: { address: '10.0.0.9', port: 4444 },
      dst: { address: '10.0.0.2', port: 80 },
      flags: 'S',
      seq: 100,
      options: { mss: 1200 },
    });
    expect(injected.statusCode).toBe(202);
    await post(`${base}/clock`, { action: 'advance', ms: 50 });
    const seen = await segments(app, base);
    expect(seen.map((s) => `${s.flags} ${s.fate} ${s.reason ?? ''}`.trim())).toEqual([
      'S delivered',
      'S. dropped no-host',
    ]);
    expect(seen[0]?.endpointId).toBeUndefined();
    const accepted = await app.inject({ method: 'GET', url: `${base}/endpoints/e3` });
    expect(accepted.json()).toMatchObject({
      state: 'SYN-RECEIVED',
      parentId: 'e1',
      remote: { address: '10.0.0.9', port: 4444 },
      tcb: { irs: 100, mss: 1200 },
    });
  });

  it('ECN by hand: SEW gets SE., a CE-marked segment an ECE; codepoints stored and exported', async () => {
    const { app } = await migratedApp(cleanups, { auth: { mode: 'disabled' } });
    const post = (url: string, payload?: Record<string, unknown>) =>
      app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
    const sid = (await post('/v1/sessions', { seed: 1 })).json<{ id: string }>().id;
    const base = `/v1/sessions/${sid}`;
    const server = { address: '10.0.0.2', port: 80 };
    await post(`${base}/endpoints`, { ...server, options: { isn: 5000, ecn: 'passive' } });
    await post(`${base}/endpoints/e1/listen`);
    const peer = { src: { address: '10.0.0.9', port: 4444 }, dst: server };
    await post(`${base}/inject`, { ...peer, flags: 'SEW', seq: 100 });
    await post(`${base}/clock`, { action: 'advance', ms: 50 });
    await post(`${base}/inject`, { ...peer, flags: '.', seq: 101, ack: 5001 });
    const marked = await post(`${base}/inject`, {
      ...peer,
      flags: 'P.',
      seq: 101,
      ack: 5001,
      data: 'hello',
      ecn: 'ce',
    });
    expect(marked.statusCode).toBe(202);
    await post(`${base}/clock`, { action: 'advance', ms: 50 });
    const seen = (await app.inject({ method: 'GET', url: `${base}/segments?limit=1000` })).json<{
      items: { flags: string; ecn?: string }[];
    }>().items;
    expect(seen.map((s) => `${s.flags}${s.ecn === undefined ? '' : ` [${s.ecn}]`}`)).toEqual([
      'SEW',
      'SE.',
      '.',
      'P. [ce]',
      'E.',
    ]);
    const bad = await post(`${base}/inject`, { ...peer, flags: '.', seq: 1, ecn: 'ect2' });
    expect(bad.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    // The capture carries the codepoint in the IPv4 TOS byte: the fourth packet is CE (0b11).
    const pcapng = await app.inject({ method: 'GET', url: `${base}/trace.pcapng` });
    const file = new Uint8Array(pcapng.rawPayload);
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const tos: number[] = [];
    for (let at = 0; at < file.length; at += view.getUint32(at + 4, true)) {
      if (view.getUint32(at, true) === 6) tos.push(file[at + 29]!);
    }
    expect(tos).toEqual([0, 0, 0, 3, 0]);
  });

  it('refuses a payload given twice and flags tcpdump does not write', async () => {
    const { base, post } = await connectedLab();
    const segment = {
      src: { address: '10.0.0.9', port: 4444 },
      dst: { address: '10.0.0.2', port: 80 },
      seq: 1,
    };
    const twice = await post(`${base}/inject`, {
      ...segment,
      flags: 'P.',
      data: 'a',
      base64: 'YQ==',
    });
    expect(twice.json()).toMatchObject({ status: 400, errors: [{ path: '/body/base64' }] });
    const flags = await post(`${base}/inject`, { ...segment, flags: 'X' });
    expect(flags.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
