/**
 * A LabTarget in this process: the engine itself, driven through the same commands and shown
 * through the same views as the service (@tcplab/session-core), with the service's refusals.
 * No database and no network: a scenario runs in milliseconds, and its trace is the one the
 * service would store for the same steps, event for event.
 */
import { Problems, type ClockResult, type ProblemInit } from '@tcplab/contract';
import { Simulation, toPcapng, type TraceEvent } from '@tcplab/engine';
import {
  applyNow,
  endpointView,
  faultCommand,
  faultView,
  injectCommand,
  liveEventView,
  optionsCommand,
  pcapSegment,
  receiveRefusal,
  refusalOf,
  segmentRow,
  type Refusal,
  type SessionCommand,
  type SocketCall,
} from '@tcplab/session-core';
import { ApiError } from '../errors.js';
import type { AnyTraceEvent } from '../api/trace.js';
import type { LabSession, LabTarget } from './target.js';

/** What a receive returns at most when the call does not say (the service's default, 1 MiB). */
const DEFAULT_RECEIVE_MAX = 1 << 20;

export const IN_PROCESS = 'in-process';

export function localTarget(): LabTarget {
  return {
    where: IN_PROCESS,
    open: (settings) =>
      Promise.resolve(
        localSession(
          new Simulation({
            seed: settings.seed ?? 0,
            ...(settings.link === undefined ? {} : { link: settings.link }),
            ...(settings.defaults === undefined ? {} : { defaults: settings.defaults }),
            ...(settings.profile === undefined ? {} : { profile: settings.profile }),
          }),
        ),
      ),
  };
}

function problem(init: ProblemInit, detail: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError({
    type: `urn:tcplab:problem:${init.code}`,
    title: init.title,
    status: init.status,
    code: init.code,
    detail,
    ...extra,
  });
}

function refused(refusal: Refusal): ApiError {
  return problem(refusal.problem, refusal.detail, {
    ...(refusal.state === undefined ? {} : { state: refusal.state }),
    ...(refusal.errors === undefined ? {} : { errors: refusal.errors }),
  });
}

/** A session on `sim`: each call applies a command as the service's route would. */
export function localSession(sim: Simulation): LabSession {
  const trace: TraceEvent[] = [];
  const views: AnyTraceEvent[] = [];

  /** Applies a command; the trace it produced joins the session's. */
  function apply(command: SessionCommand, call: SocketCall, state?: string) {
    try {
      return applyNow(sim, command, sim.nowUs);
    } catch (error) {
      const refusal = refusalOf(error, call, state);
      throw refusal === undefined ? error : refused(refusal);
    } finally {
      for (const e of sim.drainTrace()) {
        trace.push(e);
        views.push(liveEventView(e));
      }
    }
  }

  /** The endpoint's state; 404 when the session has none such, as the service answers. */
  function stateOf(eid: string) {
    if (!sim.endpointIds().includes(eid)) {
      throw problem(Problems.notFound, `no endpoint ${eid} in session ${IN_PROCESS}`);
    }
    const info = sim.endpointInfo(eid);
    return { state: info.state, hasRemote: info.remote !== undefined };
  }

  function clockResult(before: number, limited = false): ClockResult {
    const next = sim.nextEventTime();
    return {
      nowMs: sim.nowUs / 1000,
      events: sim.lastEventId - before,
      idle: next === undefined,
      limited,
      ...(next === undefined ? {} : { nextEventMs: next / 1000 }),
    };
  }

  function userCall(eid: string, call: SocketCall, command: SessionCommand) {
    const { state, hasRemote } = stateOf(eid);
    if (call === 'receive') {
      const refusal = receiveRefusal(state, hasRemote);
      if (refusal !== undefined) throw refused(refusal);
    }
    return apply(command, call, state);
  }

  return {
    id: IN_PROCESS,
    addEndpoint(spec) {
      const result = apply({ kind: 'addEndpoint', spec }, 'create');
      if (result.kind !== 'endpoint') throw new Error('addEndpoint made no endpoint');
      return Promise.resolve(endpointView(sim, result.endpointId));
    },
    call(eid, call) {
      userCall(eid, call, { kind: call, endpointId: eid });
      return Promise.resolve();
    },
    connect(eid, remote) {
      userCall(eid, 'connect', { kind: 'connect', endpointId: eid, remote });
      return Promise.resolve();
    },
    send(eid, body) {
      const result = userCall(eid, 'send', { kind: 'send', endpointId: eid, data: body });
      return Promise.resolve({ accepted: result.kind === 'sent' ? result.accepted : 0 });
    },
    receive(eid, body) {
      const max = body.max ?? DEFAULT_RECEIVE_MAX;
      const result = userCall(eid, 'receive', { kind: 'receive', endpointId: eid, max });
      if (result.kind !== 'received') throw new Error('receive returned no data');
      const bytes = Buffer.from(result.data.buffer, result.data.byteOffset, result.data.length);
      return Promise.resolve({
        bytes: bytes.length,
        data: bytes.toString('utf8'),
        base64: bytes.toString('base64'),
        eof: result.eof,
      });
    },
    clock(action) {
      const before = sim.lastEventId;
      switch (action.action) {
        case 'step':
          apply({ kind: 'step' }, 'create');
          return Promise.resolve(clockResult(before));
        case 'advance':
          apply({ kind: 'advance', ms: action.ms }, 'create');
          return Promise.resolve(clockResult(before));
        case 'run':
          apply({ kind: 'run', maxMs: action.maxMs }, 'create');
          return Promise.resolve(clockResult(before));
        default:
          // The service's answer to play or pause on a manual clock.
          return Promise.reject(
            problem(
              Problems.clockConflict,
              `${action.action} is for realtime sessions; a manual clock moves with step, advance and run`,
            ),
          );
      }
    },
    setLink(link) {
      apply({ kind: 'setLink', link }, 'create');
      return Promise.resolve();
    },
    addFault(body) {
      const built = faultCommand(sim, body, IN_PROCESS);
      if ('refusal' in built) return Promise.reject(refused(built.refusal));
      const result = apply(built.command, 'create');
      const rule = sim.faultRules().find((f) => result.kind === 'fault' && f.id === result.faultId);
      if (rule === undefined) throw new Error('the fault was not added');
      return Promise.resolve(faultView(rule));
    },
    removeFault(fid) {
      if (!sim.faultRules().some((f) => f.id === fid)) {
        return Promise.reject(
          problem(Problems.notFound, `no fault ${fid} in session ${IN_PROCESS}`),
        );
      }
      apply({ kind: 'removeFault', faultId: fid }, 'create');
      return Promise.resolve();
    },
    inject(body) {
      const before = sim.lastEventId;
      const built = injectCommand(body);
      if ('refusal' in built) return Promise.reject(refused(built.refusal));
      apply(built.command, 'create');
      return Promise.resolve({ events: sim.lastEventId - before });
    },
    setOptions(eid, options) {
      const built = optionsCommand(eid, options);
      if ('refusal' in built) return Promise.reject(refused(built.refusal));
      userCall(eid, 'setOptions', built.command);
      return Promise.resolve(endpointView(sim, eid));
    },
    endpoints: () => Promise.resolve(sim.endpointIds().map((id) => endpointView(sim, id))),
    // Every event since the session began is here, in order: event n is views[n - 1].
    events: (after) => Promise.resolve(views.slice(after)),
    pcapng() {
      const segments = trace.flatMap((e) =>
        e.kind === 'segment' ? [pcapSegment(segmentRow(e))] : [],
      );
      return Promise.resolve(toPcapng(segments));
    },
  };
}
