/**
 * The plots over virtual time: cwnd, ssthresh and flight size; srtt and RTO; the Stevens
 * time-sequence graph; the link queue. Redrawn at most a few times a second, however fast the
 * session streams, and each thinned to a few points per pixel (plots/series.ts).
 */
import { memo, useMemo, useState } from 'react';
import { useInView, useVersionInView } from '../model/in-view';
import type { SessionTrace } from '../model/session-trace';
import { ENDPOINT_COLOURS, LABEL_MARKS } from '../theme';
import { Plot } from './Plot';
import { congestionData, heldTo, queueData, rttData, sequenceData, thin } from './series';

/** Plots follow a live session this often at most (wall ms): the page coalesces `version`. */
export const PLOTS_EVERY_MS = 250;
/** Buckets for thinning: about one per pixel of a plot's width. */
const BUCKETS = 600;

export interface PlotsProps {
  trace: SessionTrace;
  /** Renders again only when this moves (coalesced by the page to PLOTS_EVERY_MS). */
  version: number;
  upToMs: number | undefined;
  endpoints: readonly { id: string; name: string }[];
  fontPx: number;
}

export const Plots = memo(function Plots({
  trace,
  version,
  upToMs,
  endpoints,
  fontPx,
}: PlotsProps) {
  const [ref, inView] = useInView<HTMLElement>();
  const seen = useVersionInView(version, inView);
  const withMetrics = endpoints.filter((e) => trace.metrics.has(e.id));
  const [chosen, setChosen] = useState<string | undefined>();
  const endpoint = withMetrics.find((e) => e.id === chosen) ?? withMetrics[0];
  const [chosenColumn, setChosenColumn] = useState<string | undefined>();
  const columns = trace.columns.filter((c) => trace.sequence.has(c));
  const column =
    columns.find((c) => c === chosenColumn) ??
    columns.find((c) => c === trace.columnOf.get(endpoint?.id ?? '')) ??
    columns[0];
  const links = [...trace.queues.keys()];
  const [chosenLink, setChosenLink] = useState<string | undefined>();
  const link = links.find((l) => l === chosenLink) ?? links[0];

  const id = endpoint?.id ?? '';
  const congestion = useMemo(
    () => thin(heldTo(congestionData(trace, id, upToMs), upToMs ?? trace.endMs), BUCKETS),
    [trace, id, upToMs, seen],
  );
  const rtt = useMemo(
    () => thin(heldTo(rttData(trace, id, upToMs), upToMs ?? trace.endMs), BUCKETS),
    [trace, id, upToMs, seen],
  );
  const sequence = useMemo(
    () => thin(sequenceData(trace, column ?? '', upToMs), BUCKETS),
    [trace, column, upToMs, seen],
  );
  const queue = useMemo(
    () => thin(queueData(trace, link ?? '', upToMs), BUCKETS),
    [trace, link, upToMs, seen],
  );

  const [blue, vermillion, green, purple] = ENDPOINT_COLOURS;
  const retransmission = LABEL_MARKS.retransmission?.colour ?? vermillion ?? '';
  return (
    <section className="plots" aria-label="Plots" ref={ref}>
      <div className="plot-choices">
        <Choice
          label="endpoint"
          value={id}
          options={withMetrics.map((e) => ({ value: e.id, text: e.name }))}
          onChange={setChosen}
        />
        <Choice
          label="sender"
          value={column ?? ''}
          options={columns.map((c) => ({ value: c, text: c }))}
          onChange={setChosenColumn}
        />
        {links.length > 0 && (
          <Choice
            label="link"
            value={link ?? ''}
            options={links.map((l) => ({ value: l, text: l }))}
            onChange={setChosenLink}
          />
        )}
      </div>
      <div className="plot-grid">
        <Plot
          title={`Congestion window: ${endpoint?.name ?? 'no endpoint has sent yet'}`}
          testId="plot-congestion"
          yLabel="bytes"
          fontPx={fontPx}
          data={congestion}
          series={[
            { label: 'cwnd', colour: blue ?? '', style: 'step' },
            { label: 'ssthresh', colour: vermillion ?? '', style: 'dashed' },
            { label: 'flight size', colour: green ?? '', style: 'line' },
          ]}
        />
        <Plot
          title={`Round-trip time: ${endpoint?.name ?? 'no endpoint has sent yet'}`}
          testId="plot-rtt"
          yLabel="ms"
          fontPx={fontPx}
          data={rtt}
          series={[
            { label: 'srtt', colour: blue ?? '', style: 'line' },
            { label: 'RTO', colour: vermillion ?? '', style: 'dashed' },
          ]}
        />
        <Plot
          title={`Time-sequence: what ${column ?? '—'} sent, and the ACKs it got`}
          testId="plot-sequence"
          yLabel="relative sequence number"
          fontPx={fontPx}
          data={sequence}
          series={[
            { label: 'sent', colour: blue ?? '', style: 'dots' },
            { label: 'sent again', colour: retransmission, style: 'hollow' },
            { label: 'ACK', colour: green ?? '', style: 'step' },
          ]}
        />
        <Plot
          title={
            link === undefined
              ? 'Link queue: the link has no rate limit, so nothing queues'
              : `Link queue: ${link}`
          }
          testId="plot-queue"
          yLabel="packets"
          rightLabel="wait (ms)"
          fontPx={fontPx}
          data={queue}
          series={[
            { label: 'packets queued', colour: purple ?? '', style: 'step' },
            { label: 'wait', colour: blue ?? '', style: 'dashed', right: true },
          ]}
        />
      </div>
    </section>
  );
});

/** One of the plots' selectors: which endpoint, sender or link they show. */
function Choice({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: { value: string; text: string }[];
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.text}
          </option>
        ))}
      </select>
    </label>
  );
}
