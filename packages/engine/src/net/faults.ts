/**
 * Fault rules: deliberate mistakes on the wire, for lessons ("drop the next FIN from B").
 * A rule matches segments by sender, receiver and exact flags; `nth` skips the first nth-1
 * matches, `count` bounds how many it affects. Rules are plain data (snapshots carry them).
 */
import type { SocketAddress } from '../trace/events.js';

export type FaultAction = 'drop' | 'delay' | 'duplicate' | 'corrupt';

export interface FaultMatch {
  from?: SocketAddress;
  to?: SocketAddress;
  /** Exact tcpdump flags, e.g. 'F.' or 'S'. */
  flags?: string;
  /** Affect the nth matching segment first (1 = the next one). */
  nth?: number;
  /** How many matching segments to affect from then on (default 1). */
  count?: number;
}

export interface FaultRule {
  id: string;
  match: FaultMatch;
  action: FaultAction;
  /** Extra delay for `delay`. */
  delayMs?: number;
  /** Matching segments seen so far. */
  seen: number;
  /** Segments affected so far. */
  applied: number;
}

export interface SegmentOnWire {
  src: SocketAddress;
  dst: SocketAddress;
  flags: string;
}

function sameAddress(rule: SocketAddress | undefined, actual: SocketAddress): boolean {
  return rule === undefined || (rule.address === actual.address && rule.port === actual.port);
}

/** The first rule that takes this segment, counting it in every rule it matches. */
export function applyFaults(rules: FaultRule[], segment: SegmentOnWire): FaultRule | undefined {
  let taken: FaultRule | undefined;
  for (const rule of rules) {
    const m = rule.match;
    if (!sameAddress(m.from, segment.src) || !sameAddress(m.to, segment.dst)) continue;
    if (m.flags !== undefined && m.flags !== segment.flags) continue;
    rule.seen += 1;
    const due = rule.seen >= (m.nth ?? 1) && rule.applied < (m.count ?? 1);
    if (due && taken === undefined) {
      rule.applied += 1;
      taken = rule;
    }
  }
  return taken;
}
