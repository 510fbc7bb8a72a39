/**
 * One direction of a link: propagation delay with seeded jitter, an optional rate with a
 * finite drop-tail queue (serialisation delay), and random impairments. `carry` decides the
 * fate of one packet, drawing randomness only for the impairments that are switched on, so a
 * setting at 0 changes nothing in a trace.
 */
import type { Prng } from '../sim/prng.js';
import type { SegmentFate } from '../trace/events.js';
import { ecnCapable, type EcnCodepoint } from '../wire/ecn.js';

/**
 * Bursty loss as a Gilbert-Elliott channel: a good and a bad state, P(good -> bad) = p and
 * P(bad -> good) = r per packet, each state with its own loss rate.
 */
export interface BurstLoss {
  p: number;
  r: number;
  /** Loss rate in the good state (default 0). */
  lossGood?: number;
  /** Loss rate in the bad state (default 1). */
  lossBad?: number;
}

export interface LinkSettings {
  delayMs: number;
  jitterMs: number;
  /** Megabits per second; 0 = unlimited (no serialisation delay, no queue). */
  rateMbps: number;
  /** Packets the queue holds while the link is busy (drop-tail beyond). */
  queuePackets: number;
  lossRate: number;
  /** Bursty loss on top of `lossRate`; undefined for none. */
  burstLoss: BurstLoss | undefined;
  duplicateRate: number;
  reorderRate: number;
  corruptRate: number;
  /** Largest IP packet; a larger segment is dropped (`mtu`). */
  mtu: number;
  /**
   * ECN marking at the queue (RFC 3168 §5): a packet that finds the queue full is marked CE
   * and queued if it is ECN-capable (ECT(0), ECT(1) or CE), instead of dropped; the queue then
   * holds more than `queuePackets`. Not-ECT packets are dropped as before. Off by default.
   */
  ecnMark: boolean;
}

export const DEFAULT_LINK: LinkSettings = {
  delayMs: 10,
  jitterMs: 0,
  rateMbps: 0,
  queuePackets: 100,
  lossRate: 0,
  burstLoss: undefined,
  duplicateRate: 0,
  reorderRate: 0,
  corruptRate: 0,
  mtu: 1500,
  ecnMark: false,
};

/** What is in flight on one direction: when each queued packet finishes serialising. */
export interface LinkState {
  departuresUs: number[];
  /** Gilbert-Elliott: the channel is in its bad state. */
  bad: boolean;
}

export interface Carried {
  fate: SegmentFate;
  reason: string | undefined;
  /** Arrival times at the receiver: none when dropped, two when duplicated. */
  arrivalsUs: number[];
  /** The receiver gets damaged bytes: its checksum check will fail. */
  corrupted: boolean;
  /** The queue marked the packet CE instead of dropping it (`ecnMark`). */
  marked?: true;
  /** With a rate: the queue this packet found (undefined on an unlimited link). */
  queue?: { packets: number; delayUs: number };
}

export function carry(
  now: number,
  packetBytes: number,
  settings: LinkSettings,
  state: LinkState,
  prng: Prng,
  ecn?: EcnCodepoint,
): Carried {
  if (packetBytes > settings.mtu) return dropped('mtu', undefined);

  let departUs = now;
  let queue: Carried['queue'];
  let marked = false;
  if (settings.rateMbps > 0) {
    const departures = state.departuresUs;
    let gone = 0;
    while (gone < departures.length && departures[gone]! <= now) gone += 1;
    if (gone > 0) departures.splice(0, gone);
    if (departures.length > settings.queuePackets) {
      // RFC 3168 §5: a router may mark an ECN-capable packet CE where it would drop it.
      if (!settings.ecnMark || !ecnCapable(ecn)) return dropped('queue-full', undefined);
      marked = true;
    }
    const startUs = Math.max(now, departures.at(-1) ?? now);
    departUs = startUs + Math.ceil((packetBytes * 8) / settings.rateMbps);
    departures.push(departUs);
    queue = { packets: departures.length, delayUs: startUs - now };
  }
  if (prng.chance(settings.lossRate)) return dropped('loss', queue);
  if (settings.burstLoss !== undefined && burstLost(settings.burstLoss, state, prng)) {
    return dropped('burst-loss', queue);
  }

  let arrival = propagation(departUs, settings, prng);
  let fate: SegmentFate = 'delivered';
  const corrupted = prng.chance(settings.corruptRate);
  if (corrupted) fate = 'corrupted';
  if (prng.chance(settings.reorderRate)) {
    // Held back by one more propagation delay, so segments sent after it overtake it.
    arrival += Math.max(1, Math.round(settings.delayMs * 1000));
    fate = corrupted ? fate : 'reordered';
  }
  const arrivals = [arrival];
  if (prng.chance(settings.duplicateRate)) {
    arrivals.push(propagation(departUs, settings, prng));
    fate = corrupted ? fate : 'duplicated';
  }
  // The mark is what the lesson is about: it names the fate unless the packet is damaged.
  if (marked && !corrupted) fate = 'marked';
  const carried: Carried = {
    fate,
    reason: corrupted ? 'checksum' : marked ? 'queue-full' : undefined,
    arrivalsUs: arrivals,
    corrupted,
  };
  if (marked) carried.marked = true;
  if (queue !== undefined) carried.queue = queue;
  return carried;
}

/** A packet the link does not deliver; `queue` when it was counted in the queue first. */
function dropped(reason: string, queue: Carried['queue']): Carried {
  const carried: Carried = { fate: 'dropped', reason, arrivalsUs: [], corrupted: false };
  if (queue !== undefined) carried.queue = queue;
  return carried;
}

/** When a packet that leaves the queue at `departUs` reaches the far end (with jitter). */
function propagation(departUs: number, settings: LinkSettings, prng: Prng): number {
  const jitter = settings.jitterMs > 0 ? prng.nextFloat() * settings.jitterMs * 1000 : 0;
  return departUs + Math.round(settings.delayMs * 1000 + jitter);
}

/** One packet through the Gilbert-Elliott channel: lost in the current state?, then move. */
function burstLost(burst: BurstLoss, state: LinkState, prng: Prng): boolean {
  const lost = prng.chance(state.bad ? (burst.lossBad ?? 1) : (burst.lossGood ?? 0));
  state.bad = state.bad ? !prng.chance(burst.r) : prng.chance(burst.p);
  return lost;
}
