// The scenario library run on the real service over REST (the SDK's REST target, a real port,
// PostgreSQL underneath) and in-process on the engine: the same results, the same trace event
// for event, the same segment list and the same capture, byte for byte. And the `tcplab`
// command against the service.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient, type AnyTraceEvent, type Segment } from '@tcplab/client';
import { loadLibrary } from '@tcplab/client/library';
import { runPacketdrill, type PacketdrillResult } from '@tcplab/client/packetdrill';
import {
  localTarget,
  recordingTarget,
  restTarget,
  runScenario,
  type LabSession,
  type LabTarget,
  type ScenarioResult,
} from '@tcplab/client/scenarios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedApp, newKey } from './apps.js';
import { listening } from './sockets.js';

const cleanups: (() => Promise<void>)[] = [];
let url: string;
let key: string;

beforeAll(async () => {
  const { app, db } = await migratedApp(cleanups);
  url = await listening(app);
  key = await newKey(db, 'uni-a', 'instructor');
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A target that keeps the session it opens, to read its trace afterwards. */
function recording(target: LabTarget): { target: LabTarget; session: () => LabSession } {
  const kept = recordingTarget(target);
  return {
    target: kept.target,
    session: () => {
      const [session] = kept.sessions;
      if (session === undefined) throw new Error('no session was opened');
      return session;
    },
  };
}

/** A result without where it ran, which is all that may differ. */
const portable = ({ where, sessionId, ...rest }: ScenarioResult | PacketdrillResult) => rest;

/** The packetdrill scripts that come with the client. */
const SCRIPTS = fileURLToPath(
  import.meta.resolve('@tcplab/client/package.json').replace(/package\.json$/, 'packetdrill/'),
);

/** A segment event as GET /segments lists it. */
function asListed(e: AnyTraceEvent): Segment {
  const { kind, arrivesUs, ...segment } = e;
  return segment as unknown as Segment;
}

describe('the scenario library on the service', () => {
  it.each(loadLibrary())(
    '$name: the same result, trace, segment list and capture as in-process',
    async ({ scenario }) => {
      const client = createClient({ baseUrl: url, apiKey: key });
      const local = recording(localTarget());
      const remote = recording(restTarget(client, url));
      const inProcess = await runScenario(scenario, local.target);
      const onService = await runScenario(scenario, remote.target);
      expect(onService.passed).toBe(true);
      expect(portable(onService)).toEqual(portable(inProcess));

      const events = await local.session().events(0);
      expect(await remote.session().events(0)).toEqual(events);

      const sid = remote.session().id;
      const listed: Segment[] = [];
      for (let after = 0; ;) {
        const page = await client.trace.segments(sid, { after, limit: 1000 });
        listed.push(...page.items);
        if (page.items.length < 1000) break;
        after = page.nextAfter;
      }
      expect(listed).toEqual(events.filter((e) => e.kind === 'segment').map(asListed));

      const mine = await local.session().pcapng();
      const theirs = await client.trace.pcapng(sid);
      expect(Buffer.from(theirs).equals(Buffer.from(mine))).toBe(true);
    },
    60_000,
  );

  it.each(readdirSync(SCRIPTS).filter((f) => f.endsWith('.pkt')))(
    'packetdrill %s: the same verdict for every line as in-process',
    async (file) => {
      const script = readFileSync(join(SCRIPTS, file), 'utf8');
      const client = createClient({ baseUrl: url, apiKey: key });
      const onService = await runPacketdrill(script, restTarget(client, url), { name: file });
      expect(onService.passed).toBe(true);
      expect(portable(onService)).toEqual(
        portable(await runPacketdrill(script, localTarget(), { name: file })),
      );
    },
  );

  it('tcplab run --server runs a scenario there and names the session it left for the dashboard', async () => {
    // The command as npm installs it.
    const bin = fileURLToPath(import.meta.resolve('@tcplab/client/package.json')).replace(
      /package\.json$/,
      'bin/tcplab.js',
    );
    // Not spawnSync: the service runs in this process and must go on answering.
    const run = await promisify(execFile)(process.execPath, [
      bin,
      ...['run', 'handshake', '--server', url, '--key', key],
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /^PASS {2}handshake {2}Three-way handshake \(8 checks, 30 ms, session [0-9a-f-]{36}\)\n$/,
    );
    const sid = /session ([0-9a-f-]{36})\)/.exec(run.stdout)?.[1] ?? '';
    const session = await createClient({ baseUrl: url, apiKey: key }).sessions.get(sid);
    expect(session).toMatchObject({ name: 'handshake', seed: 1, clock: { nowMs: 30 } });
  });
});
