import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyTraceEvent } from '../api/trace.js';
import { loadLibrary } from './library.js';
import { localTarget } from './local-target.js';
import { runScenario } from './run.js';
import { recordingTarget } from './target.js';

const library = loadLibrary();

describe('the scenario library', () => {
  it('has a lesson for every behaviour the dashboard presets and DESIGN.md name', () => {
    expect(library.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'handshake',
        'teardown',
        'half-close',
        'simultaneous-open',
        'simultaneous-close',
        'lost-final-ack',
        'stale-syn',
        'connection-refused',
        'abort',
        'half-open',
        'challenge-ack',
        'lost-syn',
        'connect-timeout',
        'rto-backoff',
        'fast-retransmit',
        'newreno-recovery',
        'sack-recovery',
        'zero-window',
        'slow-start',
        'congestion-avoidance',
        'cubic',
        'delayed-ack',
        'nagle',
        'keepalive',
        'bulk-transfer-loss',
        'bufferbloat',
        'state-diagram-edges',
      ]),
    );
  });

  it.each(library)(
    '$name: named as its file, with a teacher\u2019s description and tags',
    (entry) => {
      expect(entry.scenario.name).toBe(basename(entry.file, '.yaml'));
      expect(entry.scenario.description.length).toBeGreaterThan(200);
      expect(entry.scenario.tags?.length).toBeGreaterThan(0);
      // A lesson checks what it teaches: segments, or the endpoints' states and numbers.
      expect(entry.scenario.expect?.endpoints ?? entry.scenario.expect?.segments).toBeDefined();
    },
  );

  it.each(library)('$name passes in-process', async ({ scenario }) => {
    const result = await runScenario(scenario, localTarget());
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(result.passed).toBe(true);
  });

  it('takes together every state and every transition of RFC 9293\u2019s state diagram (Figure 5)', async () => {
    const { target, sessions } = recordingTarget(localTarget());
    for (const { scenario } of library) await runScenario(scenario, target);
    const taken = new Set<string>();
    for (const session of sessions) {
      const events: AnyTraceEvent[] = await session.events(0);
      for (const e of events)
        if (e.kind === 'state') taken.add(`${String(e.from)} -> ${String(e.to)}`);
    }
    // Figure 5's arrows. A listener here stays in LISTEN and each SYN it takes makes an endpoint
    // of its own, born CLOSED: LISTEN -> SYN-RECEIVED is that endpoint's CLOSED -> SYN-RECEIVED,
    // and its return to LISTEN on a RST is SYN-RECEIVED -> CLOSED.
    const figure5 = [
      'CLOSED -> LISTEN',
      'CLOSED -> SYN-SENT',
      'LISTEN -> CLOSED',
      'LISTEN -> SYN-SENT',
      'CLOSED -> SYN-RECEIVED',
      'SYN-SENT -> SYN-RECEIVED',
      'SYN-SENT -> ESTABLISHED',
      'SYN-SENT -> CLOSED',
      'SYN-RECEIVED -> ESTABLISHED',
      'SYN-RECEIVED -> FIN-WAIT-1',
      'SYN-RECEIVED -> CLOSED',
      'ESTABLISHED -> FIN-WAIT-1',
      'ESTABLISHED -> CLOSE-WAIT',
      'FIN-WAIT-1 -> FIN-WAIT-2',
      'FIN-WAIT-1 -> CLOSING',
      'FIN-WAIT-2 -> TIME-WAIT',
      'CLOSING -> TIME-WAIT',
      'CLOSE-WAIT -> LAST-ACK',
      'LAST-ACK -> CLOSED',
      'TIME-WAIT -> CLOSED',
    ];
    expect(figure5.filter((t) => !taken.has(t))).toEqual([]);
  });
});
