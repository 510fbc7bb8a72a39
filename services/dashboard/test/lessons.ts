/** Real traces for the component tests: library lessons run by the engine in this process. */
import type { AnyTraceEvent } from '@tcplab/client';
import { loadLibrary } from '@tcplab/client/library';
import { localTarget, recordingTarget, runScenario } from '@tcplab/client/scenarios';
import { SessionTrace } from '../src/model/session-trace';

/** A lesson's whole trace, and the endpoints as GET endpoints lists them at its end. */
export async function lessonTrace(name: string): Promise<SessionTrace> {
  const entry = loadLibrary().find((e) => e.name === name);
  if (entry === undefined) throw new Error(`no lesson ${name}`);
  const { target, sessions } = recordingTarget(localTarget());
  const result = await runScenario(entry.scenario, target);
  if (!result.passed) throw new Error(`${name} did not pass`);
  const [session] = sessions;
  if (session === undefined) throw new Error('no session');
  const trace = new SessionTrace();
  trace.setEndpoints(await session.endpoints());
  const events: AnyTraceEvent[] = await session.events(0);
  trace.ingest(events);
  return trace;
}
