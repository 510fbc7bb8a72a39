/**
 * One session: the controls (for an instructor), the ladder, the state diagram, each
 * endpoint's TCB, the plots, the event log and the details of a segment; live, or scrubbed back in time
 * once it has run.
 */
import type { Endpoint } from '@tcplab/client';
import { memo, useCallback, useMemo, useState } from 'react';
import { useCoalesced } from '../model/coalesce';
import type { Access } from '../api';
import { Ladder } from '../ladder/Ladder';
import { useSession } from '../model/use-session';
import type { LadderSegment, SessionTrace } from '../model/session-trace';
import { playerOf } from '../players';
import { PLOTS_EVERY_MS, Plots } from '../plots/Plots';
import { endpointColour } from '../theme';
import { Controls } from './Controls';
import { EventLog } from './EventLog';
import { StateDiagram, type DiagramEndpoint } from './StateDiagram';

export interface SessionPageProps {
  access: Access;
  sessionId: string;
  presentation: boolean;
}

export function SessionPage({ access, sessionId, presentation }: SessionPageProps) {
  const live = useSession(access.client, sessionId);
  const { trace, version, endpoints } = live;
  const [selected, setSelected] = useState<LadderSegment | undefined>();
  const [scrubMs, setScrubMs] = useState<number | undefined>();
  const player = playerOf(sessionId);
  // The ladder follows every frame; the rest, memoised, a few times a second (model/coalesce.ts):
  // a page that rendered everything on every frame spent most of each frame on text layout.
  const textVersion = useCoalesced(version, TEXT_EVERY_MS);
  // The session's end as of that version (the trace is one mutable object).
  const liveEndMs = useMemo(() => trace.endMs, [trace, textVersion]);
  const plotsVersion = useCoalesced(version, PLOTS_EVERY_MS);
  const atMs = scrubMs ?? liveEndMs;

  const colourOf = useCallback(
    (id: string) => Math.max(0, trace.columns.indexOf(trace.columnOf.get(id) ?? '')),
    [trace],
  );

  return (
    <main className="session">
      {!access.viewer && (
        <Controls access={access} sessionId={sessionId} player={player} onChange={live.refresh} />
      )}
      {live.problem !== undefined && (
        <p role="alert" className="problem">
          {live.problem}
        </p>
      )}
      <div className="session-grid">
        <Ladder
          trace={trace}
          version={version}
          upToMs={scrubMs}
          selected={selected}
          onSelect={setSelected}
          fontPx={presentation ? 18 : 12}
        />
        <Side
          trace={trace}
          version={textVersion}
          endpoints={endpoints}
          atMs={atMs}
          scrubbed={scrubMs !== undefined}
          colourOf={colourOf}
        />
      </div>
      <Scrubber endMs={liveEndMs} value={scrubMs} onChange={setScrubMs} />
      <Plots
        trace={trace}
        version={plotsVersion}
        upToMs={scrubMs}
        endpoints={endpoints}
        fontPx={presentation ? 16 : 12}
      />
      <div className="lower">
        <SegmentDetails segment={selected} />
        <EventLog
          trace={trace}
          version={textVersion}
          upToMs={scrubMs}
          selectedEventId={selected?.event.eventId}
          onSelect={setSelected}
        />
      </div>
    </main>
  );
}

/** The text views beside the ladder follow a live session this often (wall ms). */
const TEXT_EVERY_MS = 200;

interface SideProps {
  trace: SessionTrace;
  /** Renders again only when this moves (the trace itself is one mutable object). */
  version: number;
  endpoints: readonly Endpoint[];
  atMs: number;
  scrubbed: boolean;
  colourOf: (id: string) => number;
}

/** The state diagram and the TCBs. */
const Side = memo(function Side({ trace, endpoints, atMs, scrubbed, colourOf }: SideProps) {
  return (
    <aside className="side">
      <StateDiagram endpoints={diagramEndpoints(trace, endpoints, atMs, colourOf)} />
      <TcbPanel
        trace={trace}
        endpoints={endpoints}
        atMs={atMs}
        scrubbed={scrubbed}
        colourOf={colourOf}
      />
    </aside>
  );
});

function diagramEndpoints(
  trace: SessionTrace,
  endpoints: readonly Endpoint[],
  atMs: number,
  colourOf: (id: string) => number,
): DiagramEndpoint[] {
  const ids =
    endpoints.length > 0
      ? endpoints.map((e) => ({ id: e.id, name: e.name }))
      : [...trace.states.keys()].map((id) => ({ id, name: id }));
  return ids.map(({ id, name }) => {
    const last = trace.stateAt(id, atMs);
    return {
      id,
      name,
      colourIndex: colourOf(id),
      state: last?.to ?? 'CLOSED',
      last: last === undefined ? undefined : { from: last.from, to: last.to, cause: last.cause },
    };
  });
}

const dash = (v: number | undefined) => (v === undefined ? '—' : String(+v.toFixed(3)));

/** Each endpoint's TCB: from the service now, or what the trace says at the scrubbed time. */
function TcbPanel({
  trace,
  endpoints,
  atMs,
  scrubbed,
  colourOf,
}: {
  trace: SessionTrace;
  endpoints: readonly Endpoint[];
  atMs: number;
  scrubbed: boolean;
  colourOf: (id: string) => number;
}) {
  return (
    <section className="tcbs" aria-label="TCBs">
      {scrubbed && (
        <p className="faint">
          At {+atMs.toFixed(3)} ms, from the trace: windows, cwnd, ssthresh, srtt, RTO and timers.
          The trace does not record ISS, IRS, SND.UNA, SND.NXT, RCV.NXT, the buffers or the options
          (—); they show live.
        </p>
      )}
      {endpoints.map((e) => {
        const state = scrubbed ? (trace.stateAt(e.id, atMs)?.to ?? 'CLOSED') : e.state;
        const metrics = scrubbed ? trace.metricsAt(e.id, atMs) : undefined;
        const timers = scrubbed
          ? trace.timersAt(e.id, atMs)
          : e.timers.map((t) => ({ timer: t.kind, expiresMs: t.expiresMs }));
        const now = scrubbed ? atMs : trace.endMs;
        const rows: [string, string][] = [
          ['ISS', scrubbed ? '—' : String(e.tcb.iss)],
          ['IRS', scrubbed ? '—' : String(e.tcb.irs)],
          ['SND.UNA', scrubbed ? '—' : String(e.tcb.sndUna)],
          ['SND.NXT', scrubbed ? '—' : String(e.tcb.sndNxt)],
          ['SND.WND', String(metrics?.sndWnd ?? e.tcb.sndWnd)],
          ['RCV.NXT', scrubbed ? '—' : String(e.tcb.rcvNxt)],
          ['RCV.WND', String(metrics?.rcvWnd ?? e.tcb.rcvWnd)],
          ['cwnd', String(metrics?.cwnd ?? e.tcb.cwnd)],
          ['ssthresh', ssthresh(metrics?.ssthresh ?? e.tcb.ssthresh)],
          ['srtt', `${dash(metrics?.srttMs ?? e.tcb.srttMs)} ms`],
          ['RTO', `${dash(metrics?.rtoMs ?? e.tcb.rtoMs)} ms`],
          [
            'buffered',
            scrubbed ? '—' : `${e.buffered.send} to send, ${e.buffered.received} to read`,
          ],
          ['Nagle', scrubbed ? '—' : e.options.nagle === false ? 'off (TCP_NODELAY)' : 'on'],
        ];
        return (
          <article
            key={e.id}
            className="tcb"
            data-endpoint={e.id}
            style={{ borderColor: endpointColour(colourOf(e.id)) }}
          >
            <h3>
              <span style={{ color: endpointColour(colourOf(e.id)) }}>◆</span> {e.name}{' '}
              <span className="tcb-state" data-testid={`state-${e.id}`}>
                {state}
              </span>
            </h3>
            <Fields rows={rows} />
            {timers.length > 0 && (
              <p className="timers">
                {timers
                  .map((t) => `${t.timer} in ${+(t.expiresMs - now).toFixed(1)} ms`)
                  .join(' · ')}
              </p>
            )}
          </article>
        );
      })}
    </section>
  );
}

/** ssthresh starts "infinite" (the largest safe integer). */
function ssthresh(v: number): string {
  return v >= Number.MAX_SAFE_INTEGER ? '∞' : String(v);
}

const Scrubber = memo(function Scrubber({
  endMs,
  value,
  onChange,
}: {
  endMs: number;
  value: number | undefined;
  onChange: (v: number | undefined) => void;
}) {
  return (
    <div className="scrubber">
      <label>
        replay{' '}
        <input
          type="range"
          min={0}
          max={Math.max(endMs, 1)}
          step="any"
          value={value ?? endMs}
          aria-label="Scrub the session's time"
          onChange={(e) => onChange(Number(e.target.value))}
        />
      </label>
      <span className="faint">
        {value === undefined ? `live · ${+endMs.toFixed(3)} ms` : `${+value.toFixed(3)} ms`}
      </span>
      {value !== undefined && (
        <button type="button" onClick={() => onChange(undefined)}>
          back to live
        </button>
      )}
    </div>
  );
});

const SegmentDetails = memo(function SegmentDetails({
  segment,
}: {
  segment: LadderSegment | undefined;
}) {
  if (segment === undefined) {
    return (
      <section className="details faint">Click a segment in the ladder to see every field.</section>
    );
  }
  const e = segment.event;
  const rows: [string, string][] = [
    [
      'time',
      `${segment.sentMs} ms${segment.arrivesMs === undefined ? '' : ` → ${segment.arrivesMs} ms`}`,
    ],
    ['from', `${segment.from} (${e.src.address}:${e.src.port})`],
    ['to', `${segment.to} (${e.dst.address}:${e.dst.port})`],
    ['flags', e.flags],
    ['seq', withRelative(e.seq, segment.relativeSeq)],
    ['ack', e.flags.includes('.') ? withRelative(e.ack, segment.relativeAck) : String(e.ack)],
    ['window', String(e.window)],
    ['len', String(e.len)],
    ['options', JSON.stringify(e.options)],
    ['why', e.label === undefined ? '—' : String(e.label)],
    ['fate', `${e.fate}${e.reason === undefined ? '' : ` (${e.reason})`}`],
  ];
  return (
    <section className="details" aria-label="Segment details">
      <h3>{segment.label}</h3>
      <Fields rows={rows} />
    </section>
  );
});

/** A header's number, and the ladder's relative one beside it when they differ. */
function withRelative(absolute: number, relative: number): string {
  return absolute === relative ? String(absolute) : `${absolute} (relative ${relative})`;
}

/** Named values, a TCB's or a segment's, as a definition list. */
function Fields({ rows }: { rows: [string, string][] }) {
  return (
    <dl>
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
