/**
 * The ladder diagram on a canvas: drawn on animation frames, only what is in view, so that a
 * session streaming thousands of segments a second stays smooth. A hidden list repeats the
 * segments in view as text, for screen readers (and for tests, which read the page as text).
 */
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useCoalesced } from '../model/coalesce';
import { useInView } from '../model/in-view';
import type { LadderSegment, SessionTrace } from '../model/session-trace';
import { FAINT, INK, LABEL_MARKS, LOST_COLOUR, PAPER, endpointColour } from '../theme';
import { arrowAt, columnXs, labelled, layoutLadder, type Arrow, type Viewport } from './layout';

export interface LadderProps {
  trace: SessionTrace;
  version: number;
  /** The scrubbed time: nothing later is drawn. Undefined: live, everything. */
  upToMs: number | undefined;
  selected: LadderSegment | undefined;
  onSelect: (segment: LadderSegment | undefined) => void;
  /** Type size in pixels (larger in presentation mode). */
  fontPx: number;
}

const HEADER_PX = 34;
/** A monospace character's advance, in units of the type size (0.6 in the common faces). */
const MONO_ADVANCE = 0.6;
/** A label's line, in units of the type size: closer labels hide the unmarked one. */
const LINE_HEIGHT = 1.25;
/** How often the hidden text list of the segments in view follows a live session (wall ms). */
const LIST_EVERY_MS = 250;
const ZOOMS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32];
/** Until the user zooms: a segment's flight takes about this many pixels. */
const FLIGHT_PX = 70;

/** The zoom that shows the link's delay as FLIGHT_PX (the first segment that arrived tells it). */
function autoZoom(trace: SessionTrace): number {
  const first = trace.segments.find((s) => s.arrivesMs !== undefined && s.arrivesMs > s.sentMs);
  const flightMs = first === undefined ? 10 : (first.arrivesMs ?? 0) - first.sentMs;
  const wanted = FLIGHT_PX / flightMs;
  let best = 0;
  ZOOMS.forEach((z, i) => {
    if (Math.abs(Math.log(z / wanted)) < Math.abs(Math.log((ZOOMS[best] ?? 1) / wanted))) best = i;
  });
  return best;
}

function draw(
  canvas: HTMLCanvasElement,
  arrows: Arrow[],
  withLabel: readonly boolean[],
  props: LadderProps,
  view: Viewport,
): void {
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const ratio = window.devicePixelRatio || 1;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, view.width, view.height + HEADER_PX);
  const columns = props.trace.columns;
  const xs = columnXs(columns, view.width);
  ctx.font = `600 ${props.fontPx}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  columns.forEach((column, i) => {
    const x = xs.get(column) ?? 0;
    ctx.fillStyle = endpointColour(i);
    ctx.fillText(column, x, HEADER_PX / 2);
    ctx.strokeStyle = endpointColour(i);
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, HEADER_PX);
    ctx.lineTo(x, HEADER_PX + view.height);
    ctx.stroke();
  });
  // Time ticks on the left.
  ctx.font = `${Math.round(props.fontPx * 0.8)}px system-ui, sans-serif`;
  ctx.textAlign = 'left';
  ctx.fillStyle = FAINT;
  const tickMs = niceTick(60 / view.pxPerMs);
  for (
    let t = Math.ceil(view.fromMs / tickMs) * tickMs;
    t < view.fromMs + view.height / view.pxPerMs;
    t += tickMs
  ) {
    ctx.fillText(`${+t.toFixed(3)} ms`, 4, HEADER_PX + (t - view.fromMs) * view.pxPerMs);
  }
  ctx.font = `${props.fontPx}px ui-monospace, SFMono-Regular, Menlo, monospace`;
  ctx.textAlign = 'center';
  arrows.forEach((a, i) => {
    const s = a.segment;
    const mark = s.event.label === undefined ? undefined : LABEL_MARKS[String(s.event.label)];
    const colour = s.lost ? LOST_COLOUR : (mark?.colour ?? INK);
    const y1 = a.y1 + HEADER_PX;
    const y2 = a.y2 + HEADER_PX;
    ctx.strokeStyle = colour;
    ctx.lineWidth = props.selected === s ? 3 : 1.5;
    ctx.setLineDash(mark === undefined ? [] : [6, 3]);
    ctx.beginPath();
    ctx.moveTo(a.x1, y1);
    ctx.lineTo(a.x2, y2);
    ctx.stroke();
    ctx.setLineDash([]);
    if (a.lost) {
      // A cross where the link lost it.
      const r = 6;
      ctx.beginPath();
      ctx.moveTo(a.x2 - r, y2 - r);
      ctx.lineTo(a.x2 + r, y2 + r);
      ctx.moveTo(a.x2 + r, y2 - r);
      ctx.lineTo(a.x2 - r, y2 + r);
      ctx.stroke();
    } else {
      arrowHead(ctx, a.x1, y1, a.x2, y2);
    }
    if (withLabel[i] !== true) return;
    const text = arrowText(s);
    const labelY = (y1 + y2) / 2 - props.fontPx * 0.6;
    // A backing under the text, its width from the monospace advance (measureText costs more).
    const width = text.length * props.fontPx * MONO_ADVANCE;
    ctx.fillStyle = PAPER;
    ctx.fillRect(
      a.labelX - width / 2 - 2,
      labelY - props.fontPx * 0.6,
      width + 4,
      props.fontPx * 1.2,
    );
    ctx.fillStyle = colour;
    ctx.fillText(text, a.labelX, labelY);
  });
}

function arrowHead(
  ctx: CanvasRenderingContext2D,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): void {
  const angle = Math.atan2(y2 - y1, x2 - x1);
  const size = 8;
  ctx.beginPath();
  ctx.moveTo(x2, y2);
  ctx.lineTo(x2 - size * Math.cos(angle - 0.4), y2 - size * Math.sin(angle - 0.4));
  ctx.lineTo(x2 - size * Math.cos(angle + 0.4), y2 - size * Math.sin(angle + 0.4));
  ctx.closePath();
  ctx.fillStyle = ctx.strokeStyle;
  ctx.fill();
}

/** 1, 2 or 5 times a power of ten, at least `ms`. */
function niceTick(ms: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(ms, 1e-3)));
  for (const m of [1, 2, 5, 10]) if (m * power >= ms) return m * power;
  return 10 * power;
}

export function Ladder(props: LadderProps) {
  const { trace, version, upToMs, onSelect } = props;
  const host = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ width: 800, height: 500 });
  const [chosenZoom, setZoom] = useState<number | undefined>();
  const zoom = chosenZoom ?? autoZoom(trace);
  const [fromMs, setFromMs] = useState(0);
  const [follow, setFollow] = useState(true);
  const arrows = useRef<Arrow[]>([]);
  const pxPerMs = ZOOMS[zoom] ?? 1;
  const height = Math.max(100, size.height - HEADER_PX);
  const spanMs = height / pxPerMs;
  const endMs = upToMs ?? trace.endMs;
  // Following: the latest moment at the bottom of the view (or the scrubbed one).
  const top = follow ? Math.max(0, endMs - spanMs * 0.9) : fromMs;

  useEffect(() => {
    const element = host.current;
    if (element === null) return undefined;
    const observer = new ResizeObserver(([entry]) => {
      if (entry !== undefined)
        setSize({ width: entry.contentRect.width, height: entry.contentRect.height });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // A segment chosen elsewhere (the event log) is brought into view, a fifth of the way down.
  const selectedMs = props.selected?.sentMs;
  useEffect(() => {
    if (selectedMs === undefined || (selectedMs >= top && selectedMs <= top + spanMs)) return;
    setFollow(false);
    setFromMs(Math.max(0, selectedMs - spanMs * 0.2));
  }, [selectedMs]);

  const [section, inView] = useInView<HTMLElement>();
  const view: Viewport = { fromMs: top, pxPerMs, width: size.width, height };
  // Scrolled out of sight (the plots watched instead), the ladder keeps its last picture.
  const last = useRef<{ visible: Arrow[]; withLabel: boolean[] }>({ visible: [], withLabel: [] });
  if (inView) {
    const visible = layoutLadder(trace.segments, trace.columns, view, upToMs);
    last.current = { visible, withLabel: labelled(visible, props.fontPx * LINE_HEIGHT) };
  }
  const { visible, withLabel } = last.current;
  const unlabelled = withLabel.filter((w) => !w).length;

  // Drawn as soon as React has rendered (itself on an animation frame, use-session.ts). The
  // canvas is resized only when its box is: resizing clears and reallocates it.
  useLayoutEffect(() => {
    const element = canvas.current;
    if (element === null || !inView) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.round(size.width * ratio);
    const pixels = Math.round((height + HEADER_PX) * ratio);
    if (element.width !== width) element.width = width;
    if (element.height !== pixels) element.height = pixels;
    arrows.current = visible;
    draw(element, visible, withLabel, props, view);
  });

  // The text list follows a few times a second: rewriting a hundred list items every frame
  // costs the page more than drawing the whole canvas.
  const listVersion = useCoalesced(version, LIST_EVERY_MS);
  const listed = useMemo(() => visible, [listVersion, upToMs, top, pxPerMs, size, inView]);

  return (
    <section className="ladder" aria-label="Ladder diagram" ref={section}>
      <div className="ladder-tools">
        <button type="button" onClick={() => setZoom(Math.max(0, zoom - 1))} aria-label="Zoom out">
          −
        </button>
        <button
          type="button"
          onClick={() => setZoom(Math.min(ZOOMS.length - 1, zoom + 1))}
          aria-label="Zoom in"
        >
          +
        </button>
        <label>
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => {
              setFollow(e.target.checked);
              setFromMs(top);
            }}
          />{' '}
          follow
        </label>
        <span className="faint">
          {trace.segments.length} segments · {pxPerMs} px/ms
          {unlabelled > 0 && ' · crowded: zoom in for every label'}
        </span>
      </div>
      <div
        className="ladder-canvas"
        ref={host}
        onWheel={(e) => {
          setFollow(false);
          setFromMs(Math.max(0, top + e.deltaY / pxPerMs));
        }}
      >
        <canvas
          ref={canvas}
          style={{ width: size.width, height: height + HEADER_PX }}
          data-testid="ladder-canvas"
          onClick={(e) => {
            const box = e.currentTarget.getBoundingClientRect();
            const hit = arrowAt(
              arrows.current,
              e.clientX - box.left,
              e.clientY - box.top - HEADER_PX,
            );
            onSelect(hit?.segment);
          }}
        />
      </div>
      <SegmentList arrows={listed} />
    </section>
  );
}

/** What an arrow says: its label, and its fate when the link did not deliver it. */
function arrowText(s: LadderSegment): string {
  return s.fate === '' ? s.label : `${s.label} ${s.fate}`;
}

/**
 * The segments in view as text, for screen readers and for tests that read the page (`data-at`:
 * the middle of its arrow on the canvas, in CSS pixels, where a click selects it).
 */
const SegmentList = memo(function SegmentList({ arrows }: { arrows: readonly Arrow[] }) {
  return (
    <ol className="sr-only" data-testid="ladder-segments" aria-label="Segments in view">
      {arrows.map((a) => (
        <li
          key={a.segment.index}
          data-label={a.segment.event.label ?? ''}
          data-fate={a.segment.event.fate}
          data-at={`${Math.round((a.x1 + a.x2) / 2)},${Math.round((a.y1 + a.y2) / 2 + HEADER_PX)}`}
        >
          {`${a.segment.sentMs} ms ${a.segment.from} > ${a.segment.to}: ${arrowText(a.segment)}`}
        </li>
      ))}
    </ol>
  );
});
