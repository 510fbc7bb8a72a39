/** The start page: the key to use, the sessions there are, and the presets to start one from. */
import { isApiError, type ScenarioSummary, type Session } from '@tcplab/client';
import { restTarget, ScenarioPlayer } from '@tcplab/client/scenarios';
import { useEffect, useState } from 'react';
import type { Access } from '../api';
import { keepPlayer } from '../players';

export interface HomeProps {
  access: Access;
  onOpen: (sessionId: string) => void;
  onKey: (key: string) => void;
}

export function Home({ access, onOpen, onKey }: HomeProps) {
  const [sessions, setSessions] = useState<Session[] | undefined>();
  const [presets, setPresets] = useState<ScenarioSummary[]>([]);
  const [problem, setProblem] = useState<string | undefined>();
  const [needsKey, setNeedsKey] = useState(false);
  const [key, setKey] = useState('');
  const [starting, setStarting] = useState<string | undefined>();

  useEffect(() => {
    let live = true;
    Promise.all([access.client.sessions.list(), access.client.scenarios.list()])
      .then(([list, library]) => {
        if (!live) return;
        setSessions(list.items);
        setPresets(library.items);
        setNeedsKey(false);
      })
      .catch((error: unknown) => {
        if (!live) return;
        if (isApiError(error) && error.status === 401) setNeedsKey(true);
        else setProblem(error instanceof Error ? error.message : String(error));
      });
    return () => {
      live = false;
    };
  }, [access]);

  const start = async (name: string) => {
    setStarting(name);
    try {
      const scenario = await access.client.scenarios.get(name);
      const player = await ScenarioPlayer.open(
        scenario,
        restTarget(access.client, location.origin),
      );
      keepPlayer(player);
      onOpen(player.session.id);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setStarting(undefined);
    }
  };

  if (needsKey) {
    return (
      <main className="home">
        <form
          className="key-form"
          onSubmit={(e) => {
            e.preventDefault();
            onKey(key.trim());
          }}
        >
          <h1>An API key, please</h1>
          <p>
            The service asks for one (an instructor's key drives sessions, a viewer's only reads).
          </p>
          <label>
            API key{' '}
            <input type="password" value={key} onChange={(e) => setKey(e.target.value)} autoFocus />
          </label>
          <button type="submit">Use this key</button>
        </form>
      </main>
    );
  }

  return (
    <main className="home">
      {problem !== undefined && (
        <p role="alert" className="problem">
          {problem}
        </p>
      )}
      <section aria-labelledby="presets-title">
        <h1 id="presets-title">Start a lesson</h1>
        <ul className="presets">
          {presets.map((p) => (
            <li key={p.name}>
              <button
                type="button"
                onClick={() => void start(p.name)}
                disabled={starting !== undefined}
                data-preset={p.name}
              >
                {starting === p.name ? 'Starting…' : p.title}
              </button>
              <span className="faint"> {p.tags.join(', ')}</span>
              <details>
                <summary>What to watch</summary>
                <p className="description">{p.description}</p>
              </details>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        {sessions === undefined ? (
          <p className="faint">Loading…</p>
        ) : sessions.length === 0 ? (
          <p className="faint">None yet: start a lesson above.</p>
        ) : (
          <ul className="sessions">
            {sessions.map((s) => (
              <li key={s.id}>
                <a
                  href={`?session=${s.id}`}
                  onClick={(e) => {
                    e.preventDefault();
                    onOpen(s.id);
                  }}
                >
                  {s.name}
                </a>
                <span className="faint">
                  {' '}
                  {s.clock.nowMs} ms · {s.lastEventId} events ·{' '}
                  {new Date(s.createdAt).toLocaleString()}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
