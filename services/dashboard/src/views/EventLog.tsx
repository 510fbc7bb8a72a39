/** The trace as a list, newest last, filtered by kind; the last 150, so it stays light. */
import { memo, useMemo, useState } from 'react';
import { useInView, useVersionInView } from '../model/in-view';
import type { LadderSegment, SessionTrace } from '../model/session-trace';

const KINDS = ['state', 'segment', 'timer', 'app', 'metrics', 'congestion', 'link'] as const;
const SHOWN = 150;

/** A field of an event as text (the fields of each kind are typed unknown). */
function f(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : JSON.stringify(v);
}

function describe(e: SessionTrace['events'][number]): string {
  switch (e.kind) {
    case 'state':
      return `${f(e.endpointId)} ${f(e.from)} → ${f(e.to)} (${f(e.cause)})`;
    case 'segment': {
      const src = e.src as { address: string; port: number };
      const dst = e.dst as { address: string; port: number };
      return `${src.address}:${src.port} > ${dst.address}:${dst.port} ${f(e.flags)} seq ${f(e.seq)} ack ${f(e.ack)} len ${f(e.len)} ${f(e.fate)}${e.label === undefined ? '' : ` (${f(e.label)})`}`;
    }
    case 'timer':
      return `${f(e.endpointId)} ${f(e.timer)} ${f(e.action)}`;
    case 'app':
      // An options change says what changed (setsockopt() on a live endpoint).
      return `${f(e.endpointId)} ${f(e.event)}${e.bytes === undefined ? '' : ` ${f(e.bytes)} bytes`}${e.error === undefined ? '' : ` ${f(e.error)}`}${e.event === 'options' && e.detail !== undefined ? ` ${f(e.detail)}` : ''}`;
    case 'metrics':
      return `${f(e.endpointId)} cwnd ${f(e.cwnd)} ssthresh ${f(e.ssthresh)} flight ${f(e.flightSize)}`;
    case 'congestion':
      return `${f(e.endpointId)} ${f(e.from)} → ${f(e.to)} (${f(e.cause)})`;
    default:
      return `${f(e.from)} > ${f(e.to)} queue ${f(e.queuePackets)}`;
  }
}

/**
 * Renders again only when `version` (coalesced by the page) or the filters move. A segment's
 * row is a button: it selects that segment, in the ladder and in the details.
 */
export const EventLog = memo(function EventLog({
  trace,
  version,
  upToMs,
  selectedEventId,
  onSelect,
}: {
  trace: SessionTrace;
  version: number;
  upToMs: number | undefined;
  selectedEventId: number | undefined;
  onSelect: (segment: LadderSegment | undefined) => void;
}) {
  const [kinds, setKinds] = useState<Set<string>>(new Set(['state', 'segment', 'timer', 'app']));
  const [ref, inView] = useInView<HTMLElement>();
  const seen = useVersionInView(version, inView);
  // The same element while out of view: React then leaves the list's DOM alone.
  const list = useMemo(() => {
    const items: SessionTrace['events'] = [];
    for (let i = trace.events.length - 1; i >= 0 && items.length < SHOWN; i--) {
      const e = trace.events[i];
      if (e === undefined || (upToMs !== undefined && e.timeMs > upToMs)) continue;
      if (kinds.has(e.kind)) items.push(e);
    }
    items.reverse();
    return (
      <ol>
        {items.map((e) => (
          <li
            key={e.eventId}
            className={`kind-${e.kind}`}
            aria-current={e.eventId === selectedEventId ? 'true' : undefined}
          >
            <span className="time">{e.timeMs} ms</span> <span className="kind">{e.kind}</span>{' '}
            {e.kind === 'segment' ? (
              <button
                type="button"
                className="as-text"
                title="Show it in the ladder"
                onClick={() => onSelect(trace.segments.find((s) => s.event.eventId === e.eventId))}
              >
                {describe(e)}
              </button>
            ) : (
              describe(e)
            )}
          </li>
        ))}
      </ol>
    );
  }, [trace, seen, upToMs, kinds, selectedEventId, onSelect]);
  return (
    <section className="event-log" aria-label="Event log" ref={ref}>
      <div className="filters">
        {KINDS.map((k) => (
          <label key={k}>
            <input
              type="checkbox"
              checked={kinds.has(k)}
              onChange={(e) => {
                const next = new Set(kinds);
                if (e.target.checked) next.add(k);
                else next.delete(k);
                setKinds(next);
              }}
            />{' '}
            {k}
          </label>
        ))}
      </div>
      {list}
    </section>
  );
});
