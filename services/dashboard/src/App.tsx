/** The dashboard: the sessions and presets, or one session's view (`?session=<id>`). */
import { useEffect, useState } from 'react';
import { access, currentSession, storeKey } from './api';
import { Home } from './views/Home';
import { SessionPage } from './views/SessionPage';

export function App() {
  const [session, setSession] = useState(currentSession());
  const [presentation, setPresentation] = useState(false);
  // One client for the page; a new one when the user gives another key.
  const [connection, setConnection] = useState(access);
  const useKey = (key: string) => {
    storeKey(key);
    setConnection(access());
  };
  useEffect(() => {
    const onPop = () => setSession(currentSession());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    document.body.classList.toggle('presentation', presentation);
  }, [presentation]);
  const open = (id: string | undefined) => {
    history.pushState(
      null,
      '',
      id === undefined ? location.pathname : `?session=${encodeURIComponent(id)}${location.hash}`,
    );
    setSession(id);
  };
  return (
    <div className="app">
      <header className="top">
        <a
          href={location.pathname}
          onClick={(e) => {
            e.preventDefault();
            open(undefined);
          }}
          className="brand"
        >
          tcplab
        </a>
        <label className="presentation-toggle">
          <input
            type="checkbox"
            checked={presentation}
            onChange={(e) => setPresentation(e.target.checked)}
          />{' '}
          presentation
        </label>
      </header>
      {session === undefined ? (
        <Home access={connection} onOpen={open} onKey={useKey} />
      ) : (
        <SessionPage
          key={session}
          access={connection}
          sessionId={session}
          presentation={presentation}
        />
      )}
    </div>
  );
}
