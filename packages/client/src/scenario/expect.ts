/**
 * Checks a scenario's expectations against what a session shows now: its endpoints (GET
 * endpoints) and its trace so far. Every check says what was expected and what was seen.
 */
import type { Bound, Endpoint, EndpointExpectation, Expectations } from '@tcplab/contract';
import type { AnyTraceEvent } from '../api/trace.js';
import { formatSegments, matchSegments, type SegmentEvent } from './lines.js';

export interface Check {
  /** Where in the scenario: `step 7 (expect)` or `expect`. */
  at: string;
  /** What was checked: `client state`, `segments`, `server#1 counters.retransmissions`. */
  what: string;
  ok: boolean;
  expected: string;
  actual: string;
}

/** What the checks read: the session now, and how the scenario names things. */
export interface Observed {
  endpoints: readonly Endpoint[];
  events: readonly AnyTraceEvent[];
  /** Scenario name -> endpoint id, declared endpoints only. */
  ids: ReadonlyMap<string, string>;
  /** `addr:port` -> scenario name, for segment lines. */
  names: ReadonlyMap<string, string>;
  faults: ReadonlyMap<string, string>;
  /** Text the application read, by endpoint id. */
  received: ReadonlyMap<string, string>;
}

/** `server#2`: the second connection the listener `server` accepted, by endpoint id order. */
export function resolveRef(
  ref: string,
  observed: Pick<Observed, 'endpoints' | 'ids'>,
): { id: string } | { missing: string } {
  const [name = '', nth] = ref.split('#');
  const id = observed.ids.get(name);
  if (id === undefined) return { missing: `no endpoint named ${name}` };
  if (nth === undefined) return { id };
  const children = observed.endpoints.filter((e) => e.parentId === id);
  const child = children[Number(nth) - 1];
  return child === undefined
    ? { missing: `${name} accepted ${children.length} connection(s), not ${nth}` }
    : { id: child.id };
}

const describeBound = (b: Bound) =>
  typeof b === 'number'
    ? String(b)
    : [b.min === undefined ? '' : `>= ${b.min}`, b.max === undefined ? '' : `<= ${b.max}`]
        .filter((s) => s !== '')
        .join(' and ');

function within(value: number | undefined, b: Bound): boolean {
  if (value === undefined) return false;
  if (typeof b === 'number') return value === b;
  return (b.min === undefined || value >= b.min) && (b.max === undefined || value <= b.max);
}

/** A metrics event's fields in the API's units (the engine reports microseconds). */
function metricValue(e: AnyTraceEvent, metric: string): number | undefined {
  const us = (field: string) => (typeof e[field] === 'number' ? e[field] / 1000 : undefined);
  switch (metric) {
    case 'srttMs':
      return us('srttUs');
    case 'rttvarMs':
      return us('rttvarUs');
    case 'rtoMs':
      return us('rtoUs');
    default:
      return typeof e[metric] === 'number' ? e[metric] : undefined;
  }
}

function endpointChecks(
  at: string,
  ref: string,
  expect: EndpointExpectation,
  observed: Observed,
): Check[] {
  const resolved = resolveRef(ref, observed);
  const check = (what: string, ok: boolean, expected: string, actual: string): Check => ({
    at,
    what: `${ref} ${what}`,
    ok,
    expected,
    actual,
  });
  if ('missing' in resolved) {
    return [check('exists', false, 'an endpoint', resolved.missing)];
  }
  const endpoint = observed.endpoints.find((e) => e.id === resolved.id);
  if (endpoint === undefined) return [check('exists', false, 'an endpoint', 'none')];
  const checks: Check[] = [];
  if (expect.state !== undefined) {
    checks.push(check('state', endpoint.state === expect.state, expect.state, endpoint.state));
  }
  // What the endpoint entered, in order: states (`state` events), congestion phases.
  for (const [what, kind, want] of [
    ['states', 'state', expect.states],
    ['phases', 'congestion', expect.phases],
  ] as const) {
    if (want === undefined) continue;
    const entered = observed.events
      .filter((e) => e.kind === kind && e.endpointId === endpoint.id)
      .map((e) => String(e.to))
      .join(' -> ');
    const expected = want.join(' -> ');
    checks.push(check(what, expected === entered, expected || '(none)', entered || '(none)'));
  }
  if (expect.error !== undefined) {
    const error = endpoint.error ?? 'none';
    checks.push(check('error', error === expect.error, expect.error, error));
  }
  const bounded = (group: string, values: Record<string, number | undefined>, bounds: object) => {
    for (const [field, bound] of Object.entries(bounds) as [string, Bound | undefined][]) {
      if (bound === undefined) continue;
      const value = values[field];
      checks.push(
        check(
          `${group}.${field}`,
          within(value, bound),
          describeBound(bound),
          value === undefined ? '(none)' : String(value),
        ),
      );
    }
  };
  if (expect.counters !== undefined) bounded('counters', endpoint.counters, expect.counters);
  if (expect.tcb !== undefined) bounded('tcb', endpoint.tcb, expect.tcb);
  if (expect.buffered !== undefined) bounded('buffered', endpoint.buffered, expect.buffered);
  for (const [group, pick] of [
    ['highest', Math.max],
    ['lowest', Math.min],
  ] as const) {
    const bounds = expect[group];
    if (bounds === undefined) continue;
    const metrics = observed.events.filter(
      (e) => e.kind === 'metrics' && e.endpointId === endpoint.id,
    );
    const values: Record<string, number | undefined> = {};
    for (const metric of Object.keys(bounds)) {
      const seen = metrics.map((e) => metricValue(e, metric)).filter((v) => v !== undefined);
      values[metric] = seen.length === 0 ? undefined : pick(...seen);
    }
    bounded(group, values, bounds);
  }
  if (expect.timers !== undefined) {
    const want = [...expect.timers].sort().join(', ');
    const got = endpoint.timers
      .map((t) => t.kind)
      .sort()
      .join(', ');
    checks.push(check('timers', want === got, want || '(none)', got || '(none)'));
  }
  if (expect.received !== undefined) {
    const got = observed.received.get(endpoint.id) ?? '';
    checks.push(
      check(
        'received',
        got === expect.received,
        JSON.stringify(expect.received),
        JSON.stringify(got),
      ),
    );
  }
  return checks;
}

/** The trace's segments, formatted as the scenario's lines are. */
export function segmentLines(observed: Observed, sequence: 'relative' | 'absolute') {
  const segments = observed.events.filter((e) => e.kind === 'segment') as unknown as SegmentEvent[];
  return formatSegments(segments, { names: observed.names, faults: observed.faults, sequence });
}

export function checkExpectations(at: string, expect: Expectations, observed: Observed): Check[] {
  const checks: Check[] = [];
  for (const [ref, e] of Object.entries(expect.endpoints ?? {})) {
    checks.push(...endpointChecks(at, ref, e, observed));
  }
  if (expect.segments !== undefined) {
    const lines = segmentLines(observed, expect.sequence ?? 'relative');
    const result = matchSegments(expect.segments, lines);
    checks.push(
      result.ok
        ? {
            at,
            what: 'segments',
            ok: true,
            expected: `${expect.segments.length} line(s)`,
            actual: `${lines.length} segment(s)`,
          }
        : {
            at,
            what: `segment ${result.index}`,
            ok: false,
            expected: result.expected,
            actual: result.actual,
          },
    );
  }
  return checks;
}
