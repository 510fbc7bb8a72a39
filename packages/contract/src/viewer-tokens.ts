/**
 * Viewer tokens: the classroom link. An instructor mints one for a session; whoever holds it
 * may watch that one session live over socket.io (`auth: { token }`) until it expires or is
 * revoked, and nothing else: no REST, no other session.
 */
import { Type, type Static } from 'typebox';
import { SessionId } from './sessions.js';

/** Lifetime of a viewer token when the request names none: one day. */
export const DEFAULT_VIEWER_TOKEN_SECONDS = 86_400;
/** The longest a viewer token may live: 30 days. */
export const MAX_VIEWER_TOKEN_SECONDS = 30 * 86_400;

export const ViewerTokenId = Type.String({ format: 'uuid', description: 'A viewer token id' });

export const ViewerToken = Type.Object(
  {
    id: ViewerTokenId,
    sessionId: SessionId,
    name: Type.String(),
    prefix: Type.String({ description: 'Names the token in lists and logs; not usable as one' }),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { $id: 'ViewerToken' },
);
export type ViewerToken = Static<typeof ViewerToken>;

export const CreatedViewerToken = Type.Object(
  {
    ...ViewerToken.properties,
    token: Type.String({
      description: 'The token, for socket.io `auth: { token }`; shown only in this answer',
    }),
  },
  { $id: 'CreatedViewerToken' },
);
export type CreatedViewerToken = Static<typeof CreatedViewerToken>;

export const ViewerTokenList = Type.Object(
  { items: Type.Array(ViewerToken) },
  { $id: 'ViewerTokenList' },
);
export type ViewerTokenList = Static<typeof ViewerTokenList>;

export const CreateViewerToken = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    expiresInSeconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: MAX_VIEWER_TOKEN_SECONDS,
        default: DEFAULT_VIEWER_TOKEN_SECONDS,
        description: 'How long the token works, in seconds (default one day, at most 30 days)',
      }),
    ),
  },
  {
    $id: 'CreateViewerToken',
    additionalProperties: false,
    examples: [{ name: 'Tuesday lab, room 2', expiresInSeconds: 7200 }],
  },
);
export type CreateViewerToken = Static<typeof CreateViewerToken>;

export const ViewerTokenParams = Type.Object(
  { sid: SessionId, vid: ViewerTokenId },
  { additionalProperties: false },
);
export type ViewerTokenParams = Static<typeof ViewerTokenParams>;
