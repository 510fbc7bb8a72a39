/**
 * Any instance answers any request (DESIGN.md, scale-out). A request for a session another
 * instance holds (the runtime throws SessionElsewhere) is forwarded to that instance over its
 * advertised address with @fastify/reply-from, carrying the caller's identity signed
 * (cluster/identity.ts); its answer goes back as it came. A command that found its lease gone
 * (LeaseLost: nothing was written) is sent again the same way, to wherever the session is now.
 *
 * When the holder does not answer (it died; its lease has not lapsed yet), the request waits
 * for the lease to lapse and goes again, through this instance, which then takes the session.
 * A request that may have reached a holder that died before answering is not sent again unless
 * it only reads: the caller hears 503 and decides (the command may be in the log).
 */
import replyFrom from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LeaseLost } from '../cluster/leases.js';
import {
  FORWARDED_HEADER,
  forwardingKey,
  signIdentity,
  verifyIdentity,
  type ForwardedIdentity,
} from '../cluster/identity.js';
import { ApiProblem, Problems } from '../errors.js';
import { answerError } from './problem-details.js';
import { SessionElsewhere } from '../runtime/runtime.js';

/** A request goes between instances at most this often before the caller is told to retry. */
const MAX_HOPS = 4;
/** Past a holder's lease expiry, the wait for it to be taken (the database's clock is not ours). */
const LAPSE_MARGIN_MS = 100;
/** How long a forwarded request may take (a long clock move runs for seconds). */
const FORWARD_TIMEOUT_MS = 120_000;

/** Connection failures that mean the request never reached the holder. */
const NOT_DELIVERED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface Forwarding {
  /** Whether `error` means "the session is elsewhere" (the error handler forwards it). */
  takes(error: unknown): boolean;
  /** Forwards the request to where the session runs; answers once the reply is on its way. */
  forward(error: unknown, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  /** The identity a forwarded request carries, if its signature holds; undefined otherwise. */
  verify(request: FastifyRequest, header: string): Promise<ForwardedIdentity | undefined>;
}

declare module 'fastify' {
  interface FastifyInstance {
    forwarding: Forwarding;
  }
  interface FastifyRequest {
    /** How many times the request was forwarded to reach this instance (0: from a client). */
    hops: number;
  }
}

function forwarding(app: FastifyInstance, _options: unknown, done: (error?: Error) => void) {
  app.register(replyFrom, {
    // A connection per forward (pipelining 0: no keep-alive). A reused idle connection that
    // its instance closes as it stops resets a request that may or may not have been read; a
    // new connection to a stopped instance is refused, and the request safely goes elsewhere.
    undici: { connections: 64, pipelining: 0, headersTimeout: FORWARD_TIMEOUT_MS },
    disableRequestLogging: true,
  });
  app.decorateRequest('hops', 0);

  let key: Promise<Buffer> | undefined;
  const sharedKey = () => {
    key ??= forwardingKey(app.db.pool);
    key.catch(() => (key = undefined));
    return key;
  };

  const selfUrl = () => app.runtime.leases.options.url;

  /**
   * Sends the request to `target` after `waitMs`; `lapseMs` is how long the lease there may
   * still run if its holder stopped answering. Never rejects: a failure is answered here.
   */
  async function send(
    request: FastifyRequest,
    reply: FastifyReply,
    target: string,
    waitMs: number,
    lapseMs: number,
  ): Promise<FastifyReply> {
    try {
      request.hops += 1;
      if (request.hops > MAX_HOPS || target === '') {
        throw new ApiProblem(Problems.notReady, 'the session is moving between instances; retry');
      }
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      const identity = signIdentity(
        await sharedKey(),
        {
          tenantId: request.tenantId,
          role: request.role,
          budget: request.budget,
          hops: request.hops,
        },
        { method: request.method, url: request.url },
        Date.now(),
      );
      return reply.from(`${target}${request.url}`, {
        rewriteRequestHeaders: (_request, headers) => {
          const forwarded: Record<string, string | string[] | undefined> = {
            ...headers,
            [FORWARDED_HEADER]: identity,
          };
          delete forwarded['authorization'];
          return forwarded;
        },
        onError: (_reply, { error }) => {
          const cause = (error as { cause?: { code?: string; syscall?: string } }).cause;
          // Refused, unreachable, or reset while connecting: the holder never read a byte.
          const undelivered = NOT_DELIVERED.has(cause?.code ?? '') || cause?.syscall === 'connect';
          if (undelivered || request.method === 'GET' || request.method === 'HEAD') {
            // The holder is gone: once its lease lapses, this instance takes the session.
            void send(request, reply, selfUrl(), lapseMs + LAPSE_MARGIN_MS, 0);
            return;
          }
          request.log.warn(
            { err: error, target },
            'the instance running the session did not answer',
          );
          answerError(
            new ApiProblem(
              Problems.notReady,
              'the instance running the session stopped before answering; the command may or ' +
                'may not have been applied: read the session before sending it again',
            ),
            request,
            reply,
          );
        },
      });
    } catch (error) {
      return answerError(error, request, reply);
    }
  }

  app.decorate('forwarding', {
    takes: (error: unknown) => error instanceof SessionElsewhere || error instanceof LeaseLost,
    forward: (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof SessionElsewhere) {
        // The holder is at this very address: an earlier process here, which died with the
        // lease. Once the lease lapses, this one takes the session.
        if (error.ownerUrl === selfUrl()) {
          return send(request, reply, selfUrl(), error.remainingMs + LAPSE_MARGIN_MS, 0);
        }
        return send(request, reply, error.ownerUrl, 0, error.remainingMs);
      }
      // This instance lost the session before writing anything: ask again, through itself.
      return send(request, reply, selfUrl(), 0, app.runtime.leases.options.leaseMs);
    },
    verify: async (request: FastifyRequest, header: string) =>
      verifyIdentity(
        await sharedKey(),
        header,
        { method: request.method, url: request.url },
        Date.now(),
      ),
  } satisfies Forwarding);
  done();
}

export default fp(forwarding, {
  name: 'tcplab-forwarding',
  fastify: '5.x',
  dependencies: ['tcplab-database', 'tcplab-runtime'],
});
