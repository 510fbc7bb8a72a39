/**
 * Runs a scenario on a LabTarget: creates the session and its endpoints, plays the steps in
 * order, and checks every expectation where it stands and at the end. The same scenario gives
 * the same result in-process and on a service: both targets answer from the same engine.
 */
import type {
  ClockAction,
  Endpoint,
  Scenario,
  ScenarioStep,
  SocketAddress,
  StepKind,
} from '@tcplab/contract';
import { isApiError } from '../errors.js';
import type { AnyTraceEvent } from '../api/trace.js';
import {
  checkExpectations,
  resolveRef,
  segmentLines,
  type Check,
  type Observed,
} from './expect.js';
import { renderLadder } from './ladder.js';
import { addressKey } from './lines.js';
import type { LabSession, LabTarget } from './target.js';

/** The longest clock move one request may ask for (the service's maxRequestMs default). */
const MAX_MOVE_MS = 86_400_000;

export interface ScenarioResult {
  name: string;
  title: string;
  /** Where it ran: `in-process` or the service's URL. */
  where: string;
  /** The session's id on the service (open it in the dashboard), or `in-process`. */
  sessionId: string;
  passed: boolean;
  /** Every check made, passed or not, in order. */
  checks: Check[];
  /** Set when a step could not be carried out: the run stopped there. */
  error?: string;
  /** Virtual time at the end (ms). */
  endMs: number;
  /** Every segment of the session, as tcpdump-like lines with the time each was sent. */
  segments: { timeMs: number; line: string }[];
}

export interface Progress {
  scenario: string;
  step: number;
  steps: number;
  /** What the step does, e.g. `connect client`; notes are the teacher's text. */
  text: string;
  kind: StepKind;
}

export interface RunOptions {
  /** Called before each step: for a progress line, or a narrated run. */
  onProgress?: (progress: Progress) => void;
}

/** A step the runner could not carry out: the scenario is wrong for this session. */
class StepFailure extends Error {}

/** What a step's value names first: the endpoint, for a progress line. */
function describeStep(step: ScenarioStep): { kind: StepKind; text: string } {
  const [kind, value] = Object.entries(step)[0] as [StepKind, unknown];
  if (typeof value === 'string' || typeof value === 'number')
    return { kind, text: `${kind} ${value}` };
  const endpoint = (value as { endpoint?: string }).endpoint;
  return { kind, text: endpoint === undefined ? kind : `${kind} ${endpoint}` };
}

class Run {
  private readonly ids = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly faults = new Map<string, string>();
  private readonly faultIds = new Map<string, string>();
  private readonly received = new Map<string, string>();
  private events: AnyTraceEvent[] = [];
  private nowMs = 0;
  readonly checks: Check[] = [];

  constructor(
    private readonly scenario: Scenario,
    private readonly session: LabSession,
  ) {}

  async setUp(): Promise<void> {
    for (const [name, spec] of Object.entries(this.scenario.endpoints)) {
      const endpoint = await this.session.addEndpoint({
        name,
        address: spec.address,
        port: spec.port,
        ...(spec.profile === undefined ? {} : { profile: spec.profile }),
        ...(spec.options === undefined ? {} : { options: spec.options }),
      });
      this.ids.set(name, endpoint.id);
      this.names.set(addressKey(spec), name);
    }
  }

  /** An endpoint id for a reference (`client`, `server#1`). */
  private async endpointId(ref: string): Promise<string> {
    const resolved = resolveRef(ref, { ids: this.ids, endpoints: await this.endpointList(ref) });
    if ('missing' in resolved) throw new StepFailure(`${ref}: ${resolved.missing}`);
    return resolved.id;
  }

  /** The endpoint list, read only when a reference needs the accepted ones. */
  private async endpointList(ref: string): Promise<Endpoint[]> {
    return ref.includes('#') ? this.session.endpoints() : [];
  }

  /** A party's address: a named endpoint's (an accepted one shares its listener's), or as given. */
  private address(party: string | SocketAddress): SocketAddress {
    if (typeof party !== 'string') return party;
    const spec = this.scenario.endpoints[party.split('#')[0] ?? ''];
    if (spec === undefined) throw new StepFailure(`no endpoint named ${party}`);
    return { address: spec.address, port: spec.port };
  }

  /** Moves the clock to `targetMs`, in moves the service takes, past `limited` answers. */
  private async moveTo(targetMs: number): Promise<void> {
    while (this.nowMs < targetMs) {
      const ms = Math.min(targetMs - this.nowMs, MAX_MOVE_MS);
      await this.clock({ action: 'advance', ms });
    }
  }

  private async clock(action: ClockAction) {
    const result = await this.session.clock(action);
    this.nowMs = result.nowMs;
    return result;
  }

  /** Runs until idle, at most `maxMs` from now, past `limited` answers. */
  private async runUntilIdle(maxMs: number): Promise<void> {
    const until = this.nowMs + maxMs;
    for (;;) {
      const ms = Math.min(until - this.nowMs, MAX_MOVE_MS);
      if (ms <= 0) return;
      const result = await this.clock({ action: 'run', untilIdle: true, maxMs: ms });
      if (result.idle && !result.limited) return;
    }
  }

  private async observe(): Promise<Observed> {
    const last = this.events.at(-1)?.eventId ?? 0;
    this.events = this.events.concat(await this.session.events(last));
    return {
      endpoints: await this.session.endpoints(),
      events: this.events,
      ids: this.ids,
      names: this.names,
      faults: this.faultIds,
      received: this.received,
    };
  }

  async expect(at: string, expect: NonNullable<Scenario['expect']>): Promise<void> {
    this.checks.push(...checkExpectations(at, expect, await this.observe()));
  }

  /** Runs a call that may be expected to be refused (`error: EPIPE`). */
  private async refusable(
    at: string,
    what: string,
    error: string | undefined,
    call: () => Promise<unknown>,
  ) {
    try {
      await call();
    } catch (e) {
      if (!isApiError(e)) throw e;
      if (error === undefined)
        throw new StepFailure(`${what} was refused: ${e.code} (${e.message})`);
      this.checks.push({
        at,
        what: `${what} refused`,
        ok: e.code === error,
        expected: error,
        actual: e.code,
      });
      return;
    }
    if (error !== undefined) {
      this.checks.push({
        at,
        what: `${what} refused`,
        ok: false,
        expected: error,
        actual: 'accepted',
      });
    }
  }

  async step(step: ScenarioStep, at: string): Promise<void> {
    if ('note' in step) return;
    if ('listen' in step || 'shutdown' in step || 'close' in step || 'abort' in step) {
      const [call, value] = Object.entries(step)[0] as [
        'listen',
        string | { endpoint: string; error?: string },
      ];
      const { endpoint, error } =
        typeof value === 'string' ? { endpoint: value, error: undefined } : value;
      const id = await this.endpointId(endpoint);
      return this.refusable(at, `${call} ${endpoint}`, error, () => this.session.call(id, call));
    }
    if ('connect' in step) {
      const { endpoint, to, error } = step.connect;
      const id = await this.endpointId(endpoint);
      const remote = this.address(to);
      return this.refusable(at, `connect ${endpoint}`, error, () =>
        this.session.connect(id, remote),
      );
    }
    if ('send' in step) {
      const { endpoint, error, data, base64, bytes } = step.send;
      const id = await this.endpointId(endpoint);
      const body =
        data !== undefined ? { data } : base64 !== undefined ? { base64 } : { bytes: bytes ?? 0 };
      return this.refusable(at, `send ${endpoint}`, error, () => this.session.send(id, body));
    }
    if ('receive' in step) {
      const value = typeof step.receive === 'string' ? { endpoint: step.receive } : step.receive;
      const id = await this.endpointId(value.endpoint);
      const error = 'error' in value ? value.error : undefined;
      return this.refusable(at, `receive ${value.endpoint}`, error, async () => {
        const result = await this.session.receive(
          id,
          'max' in value && value.max !== undefined ? { max: value.max } : {},
        );
        this.received.set(id, (this.received.get(id) ?? '') + result.data);
        if ('expect' in value && value.expect !== undefined) {
          this.checks.push({
            at,
            what: `receive ${value.endpoint}`,
            ok: result.data === value.expect,
            expected: JSON.stringify(value.expect),
            actual: JSON.stringify(result.data),
          });
        }
      });
    }
    if ('fault' in step) {
      const { name, match, action, delayMs } = step.fault;
      const from = match.from === undefined ? undefined : this.address(match.from);
      const to = match.to === undefined ? undefined : this.address(match.to);
      const fault = await this.session.addFault({
        match: {
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(match.flags === undefined ? {} : { flags: match.flags }),
          ...(match.nth === undefined ? {} : { nth: match.nth }),
          ...(match.count === undefined ? {} : { count: match.count }),
        },
        action,
        ...(delayMs === undefined ? {} : { delayMs }),
      });
      if (name !== undefined) {
        this.faults.set(name, fault.id);
        this.faultIds.set(fault.id, name);
      }
      return;
    }
    if ('removeFault' in step) {
      const id = this.faults.get(step.removeFault);
      if (id === undefined) throw new StepFailure(`no fault named ${step.removeFault}`);
      return this.session.removeFault(id);
    }
    if ('inject' in step) {
      const { src, dst, ...segment } = step.inject;
      await this.session.inject({ src: this.address(src), dst: this.address(dst), ...segment });
      return;
    }
    if ('link' in step) return this.session.setLink(step.link);
    if ('step' in step) {
      for (let i = 0; i < step.step; i++) await this.clock({ action: 'step' });
      return;
    }
    if ('advance' in step) return this.moveTo(this.nowMs + step.advance);
    if ('at' in step) {
      if (step.at < this.nowMs)
        throw new StepFailure(`at ${step.at}: the clock is already at ${this.nowMs} ms`);
      return this.moveTo(step.at);
    }
    if ('run' in step) return this.runUntilIdle(step.run);
    return this.expect(at, step.expect);
  }

  /** The session's trace as a ladder diagram (endpoints accepted by a listener in its column). */
  async ladder(): Promise<string> {
    const observed = await this.observe();
    const columns = new Map<string, string>();
    for (const e of observed.endpoints) {
      const own = [...this.ids].find(([, id]) => id === (e.parentId ?? e.id));
      if (own !== undefined) columns.set(e.id, own[0]);
    }
    return renderLadder(observed.events, {
      names: this.names,
      columns,
      faults: this.faultIds,
      sequence: this.scenario.expect?.sequence ?? 'relative',
    });
  }

  pcapng(): Promise<Uint8Array> {
    return this.session.pcapng();
  }

  async result(where: string, error: string | undefined): Promise<ScenarioResult> {
    const observed = await this.observe();
    const checks = this.checks;
    return {
      name: this.scenario.name,
      title: this.scenario.title,
      where,
      sessionId: this.session.id,
      passed: error === undefined && checks.every((c) => c.ok),
      checks,
      ...(error === undefined ? {} : { error }),
      endMs: this.nowMs,
      segments: segmentLines(observed, this.scenario.expect?.sequence ?? 'relative').map(
        ({ timeMs, line }) => ({ timeMs, line }),
      ),
    };
  }
}

/** A scenario that has run: its result, and its session to draw or export. */
export interface PlayedScenario {
  result: ScenarioResult;
  /** The ladder diagram of the whole session, as text. */
  ladder(): Promise<string>;
  /** The session's segments as a pcapng capture. */
  pcapng(): Promise<Uint8Array>;
}

/** Runs `scenario` on `target`; resolves its result (a failed check is a result, not a throw). */
export async function runScenario(
  scenario: Scenario,
  target: LabTarget,
  options: RunOptions = {},
): Promise<ScenarioResult> {
  return (await playScenario(scenario, target, options)).result;
}

/** Runs `scenario` on `target` and keeps its session for a ladder or a capture. */
export async function playScenario(
  scenario: Scenario,
  target: LabTarget,
  options: RunOptions = {},
): Promise<PlayedScenario> {
  const player = await ScenarioPlayer.open(scenario, target);
  while (!player.done) {
    const next = player.next;
    if (next !== undefined) {
      options.onProgress?.({
        scenario: scenario.name,
        step: player.position + 1,
        steps: scenario.steps.length,
        kind: next.kind,
        text: next.text,
      });
    }
    await player.step();
  }
  return {
    result: await player.result(),
    ladder: () => player.ladder(),
    pcapng: () => player.pcapng(),
  };
}

/** What the next step of a scenario does, for a narrated or step-by-step run. */
export interface NextStep {
  kind: StepKind;
  /** `connect client`, or a note's text. */
  text: string;
}

/**
 * A scenario played one step at a time (a classroom's "next"): `open` makes the session and its
 * endpoints, `step()` runs the next step, checks an `expect` step where it stands, and after the
 * last one the final expectations; a step that cannot be carried out ends the run.
 */
export class ScenarioPlayer {
  private index = 0;
  private error: string | undefined;
  private finished = false;

  private constructor(
    readonly scenario: Scenario,
    readonly session: LabSession,
    private readonly run: Run,
    private readonly where: string,
  ) {}

  /** Opens the scenario's session on `target` and creates its endpoints. */
  static async open(scenario: Scenario, target: LabTarget): Promise<ScenarioPlayer> {
    const session = await target.open({
      name: scenario.name,
      seed: scenario.seed ?? 1,
      ...(scenario.link === undefined ? {} : { link: scenario.link }),
      ...(scenario.profile === undefined ? {} : { profile: scenario.profile }),
      ...(scenario.defaults === undefined ? {} : { defaults: scenario.defaults }),
    });
    const player = new ScenarioPlayer(scenario, session, new Run(scenario, session), target.where);
    await player.attempt('set-up', () => player.run.setUp());
    return player;
  }

  /** How many steps have run. */
  get position(): number {
    return this.index;
  }

  /** Every step has run and the final expectations are checked, or a step failed. */
  get done(): boolean {
    return this.finished;
  }

  /** The step `step()` runs next, or undefined when only the final checks are left. */
  get next(): NextStep | undefined {
    const step = this.scenario.steps[this.index];
    if (this.finished || step === undefined) return undefined;
    const { kind, text } = describeStep(step);
    return { kind, text: 'note' in step ? step.note : text };
  }

  /** The checks made so far. */
  get checks(): readonly Check[] {
    return this.run.checks;
  }

  /** Runs the next step (after the last, the final expectations). */
  async step(): Promise<void> {
    if (this.finished) return;
    const step = this.scenario.steps[this.index];
    if (step === undefined) {
      const expect = this.scenario.expect;
      if (expect !== undefined)
        await this.attempt('expect', () => this.run.expect('expect', expect));
      this.finished = true;
      return;
    }
    const at = `step ${this.index + 1} (${describeStep(step).text})`;
    this.index += 1;
    await this.attempt(at, () => this.run.step(step, at));
  }

  /** Carries out `work`; a step the session refuses ends the run with its reason. */
  private async attempt(at: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      if (!(e instanceof StepFailure) && !isApiError(e)) throw e;
      this.error = `${at}: ${e instanceof StepFailure ? e.message : `${e.code}: ${e.message}`}`;
      this.finished = true;
    }
  }

  result(): Promise<ScenarioResult> {
    return this.run.result(this.where, this.error);
  }

  ladder(): Promise<string> {
    return this.run.ladder();
  }

  pcapng(): Promise<Uint8Array> {
    return this.run.pcapng();
  }
}
