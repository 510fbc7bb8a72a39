/** /v1/sessions/:sid/viewer-tokens: links that let a classroom watch one session live. */
import type { CreatedViewerToken, CreateViewerToken, ViewerTokenList } from '@tcplab/contract';
import { path, type Rest } from '../rest.js';

export interface ViewerTokensApi {
  /**
   * POST /v1/sessions/:sid/viewer-tokens (201): a token that watches this one session over
   * socket.io (`watch()`), and nothing else, until it expires (default one day) or is revoked.
   * Its secret, `token`, is in this answer only.
   */
  create(sessionId: string, body?: CreateViewerToken): Promise<CreatedViewerToken>;
  /** GET /v1/sessions/:sid/viewer-tokens: revoked and expired ones too, without secrets. */
  list(sessionId: string): Promise<ViewerTokenList>;
  /** DELETE /v1/sessions/:sid/viewer-tokens/:vid (204): whoever watches with it is cut off. */
  revoke(sessionId: string, viewerTokenId: string): Promise<void>;
}

export function viewerTokensApi(rest: Rest): ViewerTokensApi {
  return {
    create: (sid, body = {}) =>
      rest({ method: 'POST', path: path`/v1/sessions/${sid}/viewer-tokens`, body }),
    list: (sid) => rest({ method: 'GET', path: path`/v1/sessions/${sid}/viewer-tokens` }),
    revoke: (sid, vid) =>
      rest({ method: 'DELETE', path: path`/v1/sessions/${sid}/viewer-tokens/${vid}` }),
  };
}
