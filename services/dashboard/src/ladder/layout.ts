/**
 * Where the ladder draws each segment: one vertical line per column, time flowing down, an
 * arrow from the sender's line at the time it left to the receiver's at the time it arrived
 * (its slope is the link's delay), a lost one ending halfway in a cross. Only the segments in
 * view are laid out: the ladder of a long session costs what one screen of it costs.
 */
import type { LadderSegment } from '../model/session-trace';

export interface Viewport {
  /** The time at the top of the view (ms). */
  fromMs: number;
  /** How many pixels one millisecond takes. */
  pxPerMs: number;
  width: number;
  height: number;
}

export interface Arrow {
  segment: LadderSegment;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Where the label is written: the middle of the arrow. */
  labelX: number;
  labelY: number;
  lost: boolean;
}

/** The margin on either side, so that the outer columns have room for their labels. */
export const SIDE_MARGIN = 90;
/** A lost segment is drawn this far along before its cross. */
const LOST_FRACTION = 0.55;
/** A lost segment's arrow, drawn as if it took this long to where it was lost. */
const LOST_SPAN_MS = 8;

/** The x of each column's line. */
export function columnXs(columns: readonly string[], width: number): Map<string, number> {
  const inner = Math.max(0, width - 2 * SIDE_MARGIN);
  const step = columns.length > 1 ? inner / (columns.length - 1) : 0;
  return new Map(
    columns.map((c, i) => [c, columns.length > 1 ? SIDE_MARGIN + i * step : width / 2]),
  );
}

/** The index of the first segment sent at or after `ms` (segments are in time order). */
export function firstFrom(segments: readonly LadderSegment[], ms: number): number {
  let lo = 0;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((segments[mid] as LadderSegment).sentMs < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The longest a segment may take to arrive and still cross the view from above (ms). */
const LONGEST_FLIGHT_MS = 60_000;

/** The arrows in view, in the order the segments were sent. */
export function layoutLadder(
  segments: readonly LadderSegment[],
  columns: readonly string[],
  view: Viewport,
  upToMs = Number.POSITIVE_INFINITY,
): Arrow[] {
  const xs = columnXs(columns, view.width);
  const toMs = view.fromMs + view.height / view.pxPerMs;
  const y = (ms: number) => (ms - view.fromMs) * view.pxPerMs;
  const arrows: Arrow[] = [];
  for (let i = firstFrom(segments, view.fromMs - LONGEST_FLIGHT_MS); i < segments.length; i++) {
    const s = segments[i] as LadderSegment;
    if (s.sentMs > toMs || s.sentMs > upToMs) break;
    const endMs = s.lost ? s.sentMs + LOST_SPAN_MS : (s.arrivesMs ?? s.sentMs);
    if (endMs < view.fromMs) continue;
    const x1 = xs.get(s.from) ?? 0;
    const xTo = xs.get(s.to) ?? 0;
    const x2 = s.lost ? x1 + (xTo - x1) * LOST_FRACTION : xTo;
    // Not yet arrived at the scrubbed time: drawn as far as it got.
    const shownEnd = Math.min(endMs, upToMs);
    const fraction = endMs === s.sentMs ? 1 : (shownEnd - s.sentMs) / (endMs - s.sentMs);
    const xEnd = x1 + (x2 - x1) * fraction;
    const y1 = y(s.sentMs);
    const y2 = y(shownEnd);
    arrows.push({
      segment: s,
      x1,
      y1,
      x2: xEnd,
      y2,
      labelX: (x1 + xEnd) / 2,
      labelY: (y1 + y2) / 2,
      lost: s.lost && fraction === 1,
    });
  }
  return arrows;
}

/** The arrow under a point (a click), if one is within `slop` pixels of it. */
export function arrowAt(
  arrows: readonly Arrow[],
  x: number,
  y: number,
  slop = 6,
): Arrow | undefined {
  let best: { arrow: Arrow; distance: number } | undefined;
  for (const a of arrows) {
    const dx = a.x2 - a.x1;
    const dy = a.y2 - a.y1;
    const length2 = dx * dx + dy * dy;
    const t =
      length2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - a.x1) * dx + (y - a.y1) * dy) / length2));
    const distance = Math.hypot(x - (a.x1 + t * dx), y - (a.y1 + t * dy));
    if (distance <= slop && (best === undefined || distance < best.distance))
      best = { arrow: a, distance };
  }
  return best?.arrow;
}

/** How close (in pixels, across) two labels may be before one hides the other. */
const LABEL_APART_PX = 160;

/**
 * Which arrows get their label written: all of them when they have room, and when segments
 * crowd (a fast transfer at a wide zoom), those whose label clears the last one written, so
 * that what is written can be read. A marked segment (sent again, a duplicate ACK, lost...)
 * always keeps its label: those are what the class is watching for.
 */
export function labelled(arrows: readonly Arrow[], lineHeightPx: number): boolean[] {
  const written: Arrow[] = [];
  return arrows.map((a) => {
    const marked = a.segment.event.label !== undefined || a.segment.lost;
    const clear = written.every(
      (w) =>
        Math.abs(w.labelY - a.labelY) >= lineHeightPx ||
        Math.abs(w.labelX - a.labelX) >= LABEL_APART_PX,
    );
    if (!marked && !clear) return false;
    written.push(a);
    // Only the labels just above can overlap this one (arrows come in time order).
    if (written.length > 8) written.shift();
    return true;
  });
}
