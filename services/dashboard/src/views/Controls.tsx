/**
 * The instructor's controls: the clock (step, run until idle, play at a speed, pause), the
 * preset's next step, link settings, a segment to drop, the endpoints' calls and their socket
 * options (setsockopt() on a live endpoint), the capture, the classroom link.
 */
import { isApiError, type Endpoint, type Session } from '@tcplab/client';
import type { ScenarioPlayer } from '@tcplab/client/scenarios';
import { memo, useEffect, useRef, useState } from 'react';
import type { Access } from '../api';
import { ClassroomLink } from './ClassroomLink';
import { useKeyboard } from './keyboard';

export interface ControlsProps {
  access: Access;
  sessionId: string;
  player: ScenarioPlayer | undefined;
  onChange: () => void;
}

const SPEEDS = [0.01, 0.1, 0.25, 0.5, 1, 2, 5, 10];
/** A manual clock played from the page moves this often (wall ms). */
const PLAY_TICK_MS = 50;

/** Memoised: the page renders every frame of a fast session, the controls only when they change. */
export const Controls = memo(function Controls({
  access,
  sessionId,
  player,
  onChange,
}: ControlsProps) {
  const { client } = access;
  const [session, setSession] = useState<Session | undefined>();
  const [endpoints, setEndpoints] = useState<Endpoint[]>([]);
  const [status, setStatus] = useState<string>('');
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [next, setNext] = useState(player?.next);
  const [lessonDone, setLessonDone] = useState(player?.done ?? false);
  const busy = useRef(false);
  const [acting, setActing] = useState(false);

  const refresh = async () => {
    const [s, list] = await Promise.all([
      client.sessions.get(sessionId),
      client.endpoints.list(sessionId),
    ]);
    setSession(s);
    setEndpoints(list.items);
    onChange();
  };

  /** Runs one request at a time; a refusal is shown, not thrown. */
  const act = async (what: string, work: () => Promise<unknown>) => {
    if (busy.current) return;
    busy.current = true;
    setActing(true);
    try {
      await work();
      setStatus(`done: ${what}`);
      await refresh();
    } catch (error) {
      setStatus(
        isApiError(error)
          ? `${what}: ${error.code} — ${error.message}`
          : `${what}: ${String(error)}`,
      );
    } finally {
      busy.current = false;
      setActing(false);
    }
  };

  useEffect(() => {
    void refresh().catch(() => undefined);
  }, [sessionId]);

  const realtime = session?.clock.mode === 'realtime';
  const step = () => act('step', () => client.sessions.clock(sessionId, { action: 'step' }));
  const togglePlay = () => {
    if (realtime) {
      void act(playing ? 'pause' : `play ×${speed}`, () =>
        client.sessions.clock(sessionId, playing ? { action: 'pause' } : { action: 'play', speed }),
      );
    }
    setPlaying((p) => !p);
  };
  useKeyboard({ ' ': togglePlay, ArrowRight: () => void step() });

  // A manual clock, played from here: a small advance every tick, speed x wall time.
  useEffect(() => {
    if (!playing || realtime) return undefined;
    const timer = setInterval(() => {
      void act(`play ×${speed}`, () =>
        client.sessions.clock(sessionId, { action: 'advance', ms: PLAY_TICK_MS * speed }),
      );
    }, PLAY_TICK_MS);
    return () => clearInterval(timer);
  }, [playing, realtime, speed, sessionId]);

  const [target, setTarget] = useState('');
  const [peer, setPeer] = useState('');
  const [text, setText] = useState('hello');
  const [bytes, setBytes] = useState(10_000);
  const endpointId = target || endpoints[0]?.id || '';
  const peerEndpoint = endpoints.find(
    (e) => e.id === (peer || endpoints.find((x) => x.id !== endpointId)?.id),
  );

  const selected = endpoints.find((e) => e.id === endpointId);
  const nagle = selected?.options.nagle ?? true;
  const [sndBuffer, setSndBuffer] = useState<number | undefined>();
  const [rcvBuffer, setRcvBuffer] = useState<number | undefined>();
  const [keepaliveS, setKeepaliveS] = useState<number | undefined>();

  const [delayMs, setDelayMs] = useState<number | undefined>();
  const [lossRate, setLossRate] = useState<number | undefined>();
  const [rateMbps, setRateMbps] = useState<number | undefined>();
  const [queuePackets, setQueuePackets] = useState<number | undefined>();

  const download = async () => {
    const bytes = await client.trace.pcapng(sessionId);
    const url = URL.createObjectURL(
      new Blob([new Uint8Array(bytes)], { type: 'application/x-pcapng' }),
    );
    const a = document.createElement('a');
    a.href = url;
    a.download = `${session?.name ?? sessionId}.pcapng`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <section className="controls" aria-label="Controls" data-busy={acting ? '' : undefined}>
      <div className="clock">
        <strong>{session?.name}</strong>{' '}
        <span className="faint">{session?.clock.nowMs ?? 0} ms</span>
        <button type="button" onClick={() => void step()} title="Run the next event (→)">
          Step
        </button>
        <button
          type="button"
          onClick={togglePlay}
          title="Play or pause (space)"
          aria-pressed={playing}
        >
          {playing ? 'Pause' : 'Play'}
        </button>
        <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))} aria-label="Speed">
          {SPEEDS.map((s) => (
            <option key={s} value={s}>
              ×{s}
            </option>
          ))}
        </select>
        <button
          type="button"
          onClick={() =>
            void act('run until idle', () =>
              client.sessions.clock(sessionId, { action: 'run', untilIdle: true, maxMs: 600_000 }),
            )
          }
        >
          Run until idle
        </button>
        <button type="button" onClick={() => void download()}>
          Download trace
        </button>
        <ClassroomLink client={client} sessionId={sessionId} />
      </div>
      {player !== undefined && (
        <div className="script">
          {next === undefined ? (
            <span className="faint">
              {lessonDone ? lessonVerdict(player) : 'Final checks next.'}
            </span>
          ) : (
            <span className={next.kind === 'note' ? 'note' : ''}>Next: {next.text}</span>
          )}
          <button
            type="button"
            disabled={lessonDone}
            onClick={() =>
              void act(next?.text ?? 'the final checks', async () => {
                await player.step();
                setNext(player.next);
                setLessonDone(player.done);
              })
            }
          >
            Next step
          </button>
          <button
            type="button"
            disabled={lessonDone}
            onClick={() =>
              void act('the whole lesson', async () => {
                while (!player.done) await player.step();
                setNext(player.next);
                setLessonDone(true);
              })
            }
          >
            Run the rest
          </button>
        </div>
      )}
      <details className="more">
        <summary>Endpoints, link and faults</summary>
        <div className="row">
          <select
            value={endpointId}
            onChange={(e) => setTarget(e.target.value)}
            aria-label="Endpoint"
          >
            {endpoints.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name} ({e.state})
              </option>
            ))}
          </select>
          {(['listen', 'shutdown', 'close', 'abort'] as const).map((call) => (
            <button
              key={call}
              type="button"
              onClick={() => void act(call, () => client.endpoints[call](sessionId, endpointId))}
            >
              {call}
            </button>
          ))}
          <select
            value={peerEndpoint?.id ?? ''}
            onChange={(e) => setPeer(e.target.value)}
            aria-label="Peer"
          >
            {endpoints.map((e) => (
              <option key={e.id} value={e.id}>
                to {e.name}
              </option>
            ))}
          </select>
          <button
            type="button"
            onClick={() =>
              peerEndpoint !== undefined &&
              void act('connect', () =>
                client.endpoints.connect(sessionId, endpointId, { remote: peerEndpoint.local }),
              )
            }
          >
            connect
          </button>
        </div>
        <div className="row">
          <input value={text} onChange={(e) => setText(e.target.value)} aria-label="Text to send" />
          <button
            type="button"
            onClick={() =>
              void act('send', () => client.endpoints.send(sessionId, endpointId, { data: text }))
            }
          >
            send text
          </button>
          <input
            type="number"
            min={1}
            value={bytes}
            onChange={(e) => setBytes(Number(e.target.value))}
            aria-label="Bytes to send"
          />
          <button
            type="button"
            onClick={() =>
              void act('send', () => client.endpoints.send(sessionId, endpointId, { bytes }))
            }
          >
            send bytes
          </button>
          <button
            type="button"
            onClick={() =>
              void act('receive', async () => {
                const read = await client.endpoints.receive(sessionId, endpointId);
                setStatus(`read ${read.bytes} bytes${read.eof ? ' (end of stream)' : ''}`);
              })
            }
          >
            receive
          </button>
          <button
            type="button"
            onClick={() =>
              void act('drop the next segment', () =>
                client.faults.create(sessionId, {
                  match: { from: endpointId, count: 1 },
                  action: 'drop',
                }),
              )
            }
          >
            drop its next segment
          </button>
        </div>
        <form
          className="row"
          aria-label="Socket options"
          onSubmit={(e) => {
            e.preventDefault();
            const keepalive = selected?.options.keepalive;
            void act('set options', () =>
              client.endpoints.setOptions(sessionId, endpointId, {
                ...(sndBuffer === undefined ? {} : { sndBuffer }),
                ...(rcvBuffer === undefined ? {} : { rcvBuffer }),
                // 0 turns keep-alives off; otherwise the idle time, with the interval and probes
                // in force (Linux's 75 s and 9 where none are).
                ...(keepaliveS === undefined
                  ? {}
                  : {
                      keepalive:
                        keepaliveS === 0
                          ? false
                          : {
                              idleMs: keepaliveS * 1000,
                              intervalMs:
                                keepalive === false ? 75_000 : (keepalive?.intervalMs ?? 75_000),
                              probes: keepalive === false ? 9 : (keepalive?.probes ?? 9),
                            },
                    }),
              }),
            );
          }}
        >
          <label title="setsockopt(TCP_NODELAY): Nagle's algorithm off, small segments leave at once">
            <input
              type="checkbox"
              checked={!nagle}
              disabled={selected === undefined}
              onChange={(e) => {
                const nodelay = e.target.checked;
                void act(`TCP_NODELAY ${nodelay ? 'on' : 'off'}`, () =>
                  client.endpoints.setOptions(sessionId, endpointId, { nagle: !nodelay }),
                );
              }}
            />{' '}
            TCP_NODELAY
          </label>
          <label title="setsockopt(TCP_CORK): a partial segment waits for more data; uncorking sends it">
            <input
              type="checkbox"
              checked={selected?.options.cork === true}
              disabled={selected === undefined}
              onChange={(e) => {
                const cork = e.target.checked;
                void act(`TCP_CORK ${cork ? 'on' : 'off'}`, () =>
                  client.endpoints.setOptions(sessionId, endpointId, { cork }),
                );
              }}
            />{' '}
            TCP_CORK
          </label>
          <NumberField
            label="SO_SNDBUF"
            min={1}
            step={1}
            now={selected?.options.sndBuffer}
            onChange={setSndBuffer}
          />
          <NumberField
            label="SO_RCVBUF"
            min={1}
            step={1}
            now={selected?.options.rcvBuffer}
            onChange={setRcvBuffer}
          />
          <NumberField
            label="keep-alive idle s"
            min={0}
            step={1}
            now={keepaliveSeconds(selected?.options.keepalive)}
            onChange={setKeepaliveS}
          />
          <button type="submit" disabled={selected === undefined}>
            set options
          </button>
        </form>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void act('link', () =>
              client.sessions.update(sessionId, {
                link: {
                  ...(delayMs === undefined ? {} : { delayMs }),
                  ...(lossRate === undefined ? {} : { lossRate }),
                  ...(rateMbps === undefined ? {} : { rateMbps }),
                  ...(queuePackets === undefined ? {} : { queuePackets }),
                },
              }),
            );
          }}
        >
          <NumberField label="delay ms" min={0} now={session?.link.delayMs} onChange={setDelayMs} />
          <NumberField
            label="loss"
            min={0}
            max={1}
            now={session?.link.lossRate}
            onChange={setLossRate}
          />
          <NumberField label="Mb/s" min={0} now={session?.link.rateMbps} onChange={setRateMbps} />
          <NumberField
            label="queue"
            min={1}
            step={1}
            now={session?.link.queuePackets}
            onChange={setQueuePackets}
          />
          <button type="submit">set the link</button>
        </form>
      </details>
      <p className="status" role="status">
        {status}
      </p>
    </section>
  );
});

/** What the lesson's own expectations say once it has run. */
function lessonVerdict(player: ScenarioPlayer): string {
  const failed = player.checks.filter((c) => !c.ok);
  if (failed.length === 0) return `The lesson has run: its ${player.checks.length} checks hold.`;
  return `The lesson has run: ${failed.length} of ${player.checks.length} checks do not hold (${failed
    .map((c) => `${c.what}: expected ${c.expected}, saw ${c.actual}`)
    .join('; ')}).`;
}

/** The keep-alive idle time in seconds, 0 when keep-alives are off. */
function keepaliveSeconds(keepalive: false | { idleMs: number } | undefined): number | undefined {
  if (keepalive === undefined) return undefined;
  return keepalive === false ? 0 : keepalive.idleMs / 1000;
}

/** A setting: empty leaves it as it is (its value now is the placeholder). */
function NumberField({
  label,
  min,
  max,
  step = 'any',
  now,
  onChange,
}: {
  label: string;
  min: number;
  max?: number;
  step?: number | 'any';
  now: number | undefined;
  onChange: (value: number | undefined) => void;
}) {
  return (
    <label>
      {label}{' '}
      <input
        type="number"
        min={min}
        max={max}
        step={step}
        placeholder={String(now ?? '')}
        onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      />
    </label>
  );
}
