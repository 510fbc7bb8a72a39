/**
 * A session's trace kept current: its events from the service over socket.io (the stored ones,
 * then live), ingested on animation frames so that a fast session redraws at most once a
 * frame; and its endpoints (names, TCBs) read again after changes, at most a few times a second.
 */
import type { Endpoint, TcplabClient } from '@tcplab/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { SessionTrace } from './session-trace';

const ENDPOINTS_EVERY_MS = 250;

export interface LiveSession {
  trace: SessionTrace;
  version: number;
  endpoints: Endpoint[];
  /** Why the stream stopped, if it did. */
  problem: string | undefined;
  /** Reads the endpoints again now (after a command). */
  refresh: () => void;
}

export function useSession(client: TcplabClient, sessionId: string): LiveSession {
  const trace = useRef(new SessionTrace()).current;
  const [version, setVersion] = useState(0);
  const [endpoints, setEndpoints] = useState<Endpoint[]>([]);
  const [problem, setProblem] = useState<string | undefined>();
  const refreshRef = useRef(() => undefined as void);

  useEffect(() => {
    const controller = new AbortController();
    const pending: Parameters<SessionTrace['ingest']>[0][number][] = [];
    let frame: number | undefined;
    let endpointsDue = true;
    let endpointsTimer: ReturnType<typeof setTimeout> | undefined;

    const readNow = async () => {
      try {
        const { items } = await client.endpoints.list(sessionId);
        trace.setEndpoints(items);
        setEndpoints(items);
        setVersion(trace.version);
      } catch (error) {
        setProblem(error instanceof Error ? error.message : String(error));
      }
    };
    const scheduleEndpoints = () => {
      if (endpointsTimer !== undefined) return;
      endpointsTimer = setTimeout(() => {
        endpointsTimer = undefined;
        void readNow();
      }, ENDPOINTS_EVERY_MS);
    };
    refreshRef.current = () => void readNow();

    const flush = () => {
      frame = undefined;
      if (pending.length === 0) return;
      trace.ingest(pending.splice(0));
      setVersion(trace.version);
      if (endpointsDue) scheduleEndpoints();
    };

    void readNow().then(async () => {
      try {
        for await (const event of client.watch(sessionId, {
          after: 0,
          signal: controller.signal,
        })) {
          pending.push(event);
          if (event.kind === 'state' || event.kind === 'segment' || event.kind === 'app')
            endpointsDue = true;
          frame ??= requestAnimationFrame(flush);
        }
      } catch (error) {
        if (!controller.signal.aborted)
          setProblem(error instanceof Error ? error.message : String(error));
      }
    });
    return () => {
      controller.abort();
      if (frame !== undefined) cancelAnimationFrame(frame);
      if (endpointsTimer !== undefined) clearTimeout(endpointsTimer);
    };
  }, [client, sessionId, trace]);

  const refresh = useCallback(() => refreshRef.current(), []);
  return { trace, version, endpoints, problem, refresh };
}
