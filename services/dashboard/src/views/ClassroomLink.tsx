/**
 * The classroom link: a viewer token for this session, minted on request, as a URL to put on
 * the board. Whoever opens it watches the session live, read-only (api.ts), until the token
 * expires (a day) or is revoked.
 */
import { isApiError, type TcplabClient } from '@tcplab/client';
import { useState } from 'react';
import { sessionUrl } from '../api';

export function ClassroomLink({ client, sessionId }: { client: TcplabClient; sessionId: string }) {
  const [link, setLink] = useState<string | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [copied, setCopied] = useState(false);

  const mint = async () => {
    try {
      const { token } = await client.viewerTokens.create(sessionId, { name: 'classroom link' });
      setLink(`${location.origin}${sessionUrl(sessionId, token)}`);
      setProblem(undefined);
    } catch (error) {
      setProblem(isApiError(error) ? `${error.code}: ${error.message}` : String(error));
    }
  };
  const copy = async () => {
    if (link === undefined) return;
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch {
      // Not a secure origin (a LAN address over http): the field is selected to copy by hand.
      setCopied(false);
    }
  };

  if (link === undefined) {
    return (
      <>
        <button type="button" onClick={() => void mint()}>
          Classroom link
        </button>
        {problem !== undefined && <span role="alert">{problem}</span>}
      </>
    );
  }
  return (
    <span className="classroom-link">
      <input
        readOnly
        value={link}
        aria-label="Classroom link (read-only, live)"
        onFocus={(e) => e.target.select()}
      />
      <button type="button" onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
