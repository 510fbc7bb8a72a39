/**
 * Where a scenario runs: a service over REST (the session stays there for the dashboard), or
 * the engine in this process (fast, for CI). Both answer with the REST contract's shapes and
 * refuse with the same ApiErrors, so a scenario gives the same results either way.
 */
import type {
  ClockAction,
  ClockResult,
  CreateEndpoint,
  CreateFault,
  CreateSession,
  Endpoint,
  EndpointOptions,
  Fault,
  Inject,
  InjectResult,
  LinkSettings,
  Receive,
  ReceiveResult,
  Send,
  SendResult,
  SocketAddress,
} from '@tcplab/contract';
import type { AnyTraceEvent } from '../api/trace.js';

/** The user calls that take nothing but the endpoint. */
export type BareCall = 'listen' | 'shutdown' | 'close' | 'abort';

export interface LabTarget {
  /** `in-process` or the service's URL: what a report names as the place it ran. */
  readonly where: string;
  open(settings: CreateSession): Promise<LabSession>;
}

/** One session, driven call by call. Every method rejects with an ApiError when refused. */
export interface LabSession {
  /** The session's id on the service (the dashboard's link), or `in-process`. */
  readonly id: string;
  addEndpoint(spec: CreateEndpoint): Promise<Endpoint>;
  call(endpointId: string, call: BareCall): Promise<void>;
  connect(endpointId: string, remote: SocketAddress): Promise<void>;
  send(endpointId: string, body: Send): Promise<SendResult>;
  receive(endpointId: string, body: Receive): Promise<ReceiveResult>;
  clock(action: ClockAction): Promise<ClockResult>;
  setLink(link: LinkSettings): Promise<void>;
  addFault(body: CreateFault): Promise<Fault>;
  removeFault(faultId: string): Promise<void>;
  inject(body: Inject): Promise<InjectResult>;
  /**
   * Changes options of a live endpoint, as setsockopt() does (PATCH .../endpoints/:eid).
   * Absent where the target cannot do it yet.
   */
  setOptions?(endpointId: string, options: EndpointOptions): Promise<Endpoint>;
  endpoints(): Promise<Endpoint[]>;
  /** Every trace event after `after`, in order. */
  events(after: number): Promise<AnyTraceEvent[]>;
  /** The segments so far as a pcapng capture. */
  pcapng(): Promise<Uint8Array>;
}

/** `target`, keeping every session it opens: to read their traces once a run is over. */
export function recordingTarget(target: LabTarget): { target: LabTarget; sessions: LabSession[] } {
  const sessions: LabSession[] = [];
  return {
    sessions,
    target: {
      where: target.where,
      open: async (settings) => {
        const session = await target.open(settings);
        sessions.push(session);
        return session;
      },
    },
  };
}
