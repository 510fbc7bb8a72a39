/**
 * The ladder diagram as text, for a terminal: one column per endpoint, time flowing down, one
 * arrow per segment labelled like tcpdump, a cross where the link lost it, and each state
 * change written under its endpoint's column when it happens.
 */
import type { AnyTraceEvent } from '../api/trace.js';
import { addressKey, formatSegments, type SegmentEvent } from './lines.js';

export interface LadderOptions {
  /** `addr:port` -> name; the columns follow its order, unnamed parties come after. */
  names: ReadonlyMap<string, string>;
  /** Endpoint id -> the name of its column (accepted endpoints share their listener's). */
  columns: ReadonlyMap<string, string>;
  faults?: ReadonlyMap<string, string>;
  sequence?: 'relative' | 'absolute';
}

const TIME_WIDTH = 10;
/** Room beside the outer columns for a state name written under them. */
const MARGIN = 7;
const MIN_GAP = 24;
const MAX_GAP = 72;

function formatTime(ms: number): string {
  return (
    (Number.isInteger(ms) ? String(ms) : ms.toFixed(3).replace(/0+$/, '')).padStart(
      TIME_WIDTH - 2,
    ) + '  '
  );
}

/** Draws the trace's segments and state changes as a ladder. */
export function renderLadder(events: readonly AnyTraceEvent[], options: LadderOptions): string {
  const segments = events.filter((e) => e.kind === 'segment') as unknown as (SegmentEvent &
    AnyTraceEvent)[];
  const formatted = formatSegments(segments, {
    names: options.names,
    sequence: options.sequence ?? 'relative',
    ...(options.faults === undefined ? {} : { faults: options.faults }),
  });
  const party = (a: { address: string; port: number }) =>
    options.names.get(addressKey(a)) ?? `${a.address}.${a.port}`;
  const columns = [...new Set(options.names.values())];
  for (const s of segments) {
    for (const p of [party(s.src), party(s.dst)]) if (!columns.includes(p)) columns.push(p);
  }
  // The label of an arrow: the line without its `a > b: ` prefix.
  const labels = formatted.map((f, i) => {
    const s = segments[i];
    const prefix = s === undefined ? '' : `${party(s.src)} > ${party(s.dst)}: `;
    return f.line.slice(prefix.length);
  });
  const gap = Math.min(MAX_GAP, Math.max(MIN_GAP, ...labels.map((l) => l.length + 8)));
  const x = (name: string) => MARGIN + columns.indexOf(name) * gap;
  const width = (columns.length - 1) * gap + 1 + 2 * MARGIN;

  const row = (): string[] =>
    Array.from({ length: width }, (_, i) =>
      i >= MARGIN && i <= width - MARGIN - 1 && (i - MARGIN) % gap === 0 ? '│' : ' ',
    );
  const out: string[] = [];
  const header = row().fill(' ');
  for (const name of columns) {
    const at = Math.max(0, Math.min(x(name) - Math.floor(name.length / 2), width - name.length));
    header.splice(at, name.length, ...name);
  }
  out.push(' '.repeat(TIME_WIDTH) + header.join('').trimEnd());
  out.push(' '.repeat(TIME_WIDTH) + row().join('').trimEnd());

  let segmentIndex = 0;
  for (const e of events) {
    if (e.kind === 'segment') {
      const s = segments[segmentIndex];
      const label = labels[segmentIndex] ?? '';
      segmentIndex += 1;
      if (s === undefined) continue;
      const from = x(party(s.src));
      const to = x(party(s.dst));
      const line = row();
      const [lo, hi] = from < to ? [from, to] : [to, from];
      for (let i = lo + 1; i < hi; i++) line[i] = '─';
      const lost = s.fate === 'dropped' || s.fate === 'corrupted';
      if (from < to) line[hi - 1] = lost ? '✗' : '▶';
      else line[lo + 1] = lost ? '✗' : '◀';
      const room = hi - lo - 5;
      const text = ` ${label.length > room ? `${label.slice(0, Math.max(0, room - 2))}… ` : label} `;
      const start = lo + 2 + Math.max(0, Math.floor((room - text.length + 2) / 2));
      line.splice(start, text.length, ...text);
      out.push(formatTime(e.timeMs) + line.join('').trimEnd());
    } else if (e.kind === 'state' && e.endpointId !== undefined) {
      const column = options.columns.get(e.endpointId);
      if (column === undefined) continue;
      const line = row();
      const text = ` ${String(e.to)} `;
      const at = Math.max(
        0,
        Math.min(x(column) - Math.floor(text.length / 2), width - text.length),
      );
      line.splice(at, text.length, ...text);
      out.push(formatTime(e.timeMs) + line.join('').trimEnd());
    }
  }
  return out.join('\n') + '\n';
}
