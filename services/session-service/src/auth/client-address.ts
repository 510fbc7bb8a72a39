/**
 * The address a raw HTTP request comes from, as fastify's `request.ip` gives it for the same
 * trusted proxies: socket.io's handshakes reach the server without going through fastify, and
 * must draw on the same failure budget as the REST requests of that client.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';

export function clientAddress(
  trustedProxies: readonly string[] | undefined,
): (request: IncomingMessage) => string {
  if (trustedProxies === undefined || trustedProxies.length === 0) {
    return (request) => request.socket.remoteAddress ?? '';
  }
  // The nearest address not of a trusted proxy, X-Forwarded-For read from the right.
  const trust = proxyAddr.compile([...trustedProxies]);
  return (request) => proxyAddr(request, trust);
}
