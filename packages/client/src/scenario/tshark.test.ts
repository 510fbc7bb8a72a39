// The library's captures read by Wireshark's tshark: every trace opens without a warning, every
// checksum is good, and Wireshark's TCP analysis (tcp.analysis.*, heuristics over what is on the
// wire) agrees with what the engine knows it did (the labels of its segments) on
// retransmissions, fast retransmissions, duplicate ACKs, zero windows, window updates and
// keep-alives. Where Wireshark's heuristic and the ground truth differ, HEURISTICS names the
// case and the reason; an entry that no longer happens fails too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnyTraceEvent } from '../api/trace.js';
import { loadLibrary } from './library.js';
import { localTarget } from './local-target.js';
import { runScenario } from './run.js';
import { recordingTarget } from './target.js';

/** The tcp.analysis flags compared, in tshark's names. */
const FLAGS = [
  'retransmission',
  'fast_retransmission',
  'spurious_retransmission',
  'out_of_order',
  'duplicate_ack',
  'zero_window',
  'zero_window_probe',
  'window_update',
  'keep_alive',
] as const;
type Flag = (typeof FLAGS)[number];

/** What Wireshark should say of a segment the engine labelled so. */
const EXPECTED: Record<string, Flag[]> = {
  retransmission: ['retransmission'],
  'fast-retransmission': ['retransmission', 'fast_retransmission'],
  'duplicate-ack': ['duplicate_ack'],
  'window-update': ['window_update'],
  'window-probe': ['zero_window_probe'],
  'keep-alive': ['keep_alive'],
  'challenge-ack': [],
};

/** Where the heuristics read the wire otherwise than the engine knows it, and why. */
const HEURISTICS: { scenario: string; label: string; wireshark: Flag[]; reason: string }[] = [
  {
    scenario: 'tail-loss-probe',
    label: 'loss-probe',
    wireshark: ['retransmission'],
    reason:
      'with no new data to send, the probe is the last segment again (RFC 8985 §7.3): on the ' +
      'wire a retransmission, which it is; tcplab labels it by why it was sent',
  },
  {
    scenario: 'zero-window',
    label: 'window-probe',
    wireshark: ['keep_alive'],
    reason:
      'tcplab probes a zero window as Linux does, with SND.UNA - 1 and no data; on the wire that ' +
      'is what Wireshark calls a keep-alive (its zero-window probe carries one new byte)',
  },
  {
    scenario: 'challenge-ack',
    label: 'challenge-ack',
    wireshark: ['duplicate_ack'],
    reason:
      'a challenge ACK repeats the last ACK (RFC 5961 §3.2 sends <SEQ=SND.NXT><ACK=RCV.NXT>): ' +
      'the wire cannot tell it from a duplicate ACK',
  },
  {
    scenario: 'stale-syn',
    label: '(injected)',
    wireshark: ['retransmission'],
    reason:
      'the stale SYN is a copy of the first SYN of the session, injected by the scenario: no ' +
      'endpoint sent it, but its sequence number was used before on the same ports',
  },
  {
    scenario: 'bulk-transfer-loss',
    label: 'retransmission',
    wireshark: ['out_of_order'],
    reason:
      'Wireshark calls a segment below the highest sequence seen "out of order" rather than a ' +
      'retransmission when it follows the last one within its out-of-order threshold (3 ms); ' +
      'the simulation sends a burst within the same microsecond',
  },
  {
    scenario: 'bulk-transfer-loss',
    label: 'fast-retransmission',
    wireshark: ['out_of_order'],
    reason: 'as for retransmission: the fast retransmission leaves in the same instant as new data',
  },
  {
    scenario: 'bufferbloat',
    label: 'retransmission',
    wireshark: ['out_of_order'],
    reason:
      'as in bulk-transfer-loss: at 10 Mb/s the ACKs clock a segment out every 1.2 ms, so each ' +
      "retransmission SACK recovery sends follows the last segment within Wireshark's 3 ms",
  },
];

const dir = mkdtempSync(join(tmpdir(), 'tcplab-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tshark(path: string, fields: string[]) {
  const run = spawnSync(
    'tshark',
    [
      ...['-r', path, '-n', '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'],
      ...['-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=f'],
      ...fields.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8' },
  );
  if (run.error !== undefined) {
    throw new Error(`tshark could not run (apt-get install tshark): ${run.error.message}`);
  }
  return run;
}

async function played(name: string) {
  const entry = loadLibrary().find((e) => e.name === name);
  if (entry === undefined) throw new Error(`no scenario ${name}`);
  const { target, sessions } = recordingTarget(localTarget());
  const result = await runScenario(entry.scenario, target);
  const [session] = sessions;
  if (session === undefined) throw new Error('no session');
  const events = await session.events(0);
  const path = join(dir, `${name}.pcapng`);
  writeFileSync(path, await session.pcapng());
  return { result, segments: events.filter((e) => e.kind === 'segment'), path };
}

/** What the engine's knowledge says Wireshark should flag on a segment. */
function ours(s: AnyTraceEvent): Flag[] {
  const flags = new Set<Flag>(typeof s.label === 'string' ? (EXPECTED[s.label] ?? []) : []);
  // Wireshark's zero window: a window of 0 in a segment without SYN, FIN or RST.
  if (s.window === 0 && !/[SFR]/.test(String(s.flags))) flags.add('zero_window');
  return [...flags].sort();
}

const seen = new Set<(typeof HEURISTICS)[number]>();
afterAll(() => {
  // Only when every scenario ran: a filtered run (-t) proves nothing about the table.
  if (seen.size > 0)
    expect(HEURISTICS.filter((h) => !seen.has(h)).map((h) => h.reason)).toEqual([]);
});

describe('the library in Wireshark', () => {
  it.each(loadLibrary().map((e) => e.name))(
    '%s: tshark reads it cleanly and its analysis agrees',
    async (name) => {
      const { result, segments, path } = await played(name);
      expect(result.passed).toBe(true);
      const run = tshark(path, [
        'tcp.checksum.status',
        'ip.checksum.status',
        ...FLAGS.map((f) => `tcp.analysis.${f}`),
      ]);
      // Nothing on stderr but tshark's notice that it runs as root (as in CI's containers).
      expect(
        run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Running as user "root"')),
      ).toEqual([]);
      expect(run.status).toBe(0);
      const rows = run.stdout
        .trimEnd()
        .split('\n')
        .map((line) => line.split('|'));
      expect(rows).toHaveLength(segments.length);
      const disagreements: string[] = [];
      rows.forEach(([tcpChecksum, ipChecksum, ...analysis], i) => {
        const segment = segments[i];
        if (segment === undefined) return;
        // Wireshark's checksum status: 1 good, 0 bad (a corrupted segment is bad on purpose).
        const good = segment.fate === 'corrupted' ? '0' : '1';
        expect([tcpChecksum, ipChecksum], `frame ${i + 1}`).toEqual([good, '1']);
        const theirs = FLAGS.filter(
          (_, j) => analysis[j] !== '' && analysis[j] !== undefined,
        ).sort();
        const mine = ours(segment);
        if (theirs.join() === mine.join()) return;
        const label =
          typeof segment.label === 'string'
            ? segment.label
            : segment.endpointId === undefined
              ? '(injected)'
              : '(none)';
        const known = HEURISTICS.find(
          (h) => h.scenario === name && h.label === label && h.wireshark.join() === theirs.join(),
        );
        if (known !== undefined) seen.add(known);
        else
          disagreements.push(
            `frame ${i + 1} (${label}): tcplab says [${mine.join(', ')}], Wireshark [${theirs.join(', ')}]`,
          );
      });
      expect(disagreements).toEqual([]);
    },
  );
});
