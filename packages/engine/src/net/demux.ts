/**
 * Finds the endpoint a segment is for, in constant time: connections by their four-tuple,
 * listeners by address and port, and which addresses have a host. Derived from the
 * connections' states (rebuilt on restore), updated on every state change.
 */
import type { Connection } from '../tcp/connection.js';

const tupleKey = (
  localAddress: number,
  localPort: number,
  remoteAddress: number,
  remotePort: number,
) => `${localAddress}:${localPort}:${remoteAddress}:${remotePort}`;
const portKey = (address: number, port: number) => `${address}:${port}`;

export class Demux {
  private readonly hosts = new Set<number>();
  private readonly bound = new Map<string, Connection[]>();
  private readonly connected = new Map<string, Connection>();
  private readonly listeners = new Map<string, Connection>();
  /** Half-open (SYN-RECEIVED) endpoints of each listener, for its backlog. */
  private readonly halfOpen = new Map<string, Set<string>>();
  private readonly parentOf = new Map<string, string>();

  add(c: Connection, parentId?: string): void {
    this.hosts.add(c.local.address);
    const key = portKey(c.local.address, c.local.port);
    const list = this.bound.get(key);
    if (list === undefined) this.bound.set(key, [c]);
    else list.push(c);
    if (parentId !== undefined) this.parentOf.set(c.id, parentId);
    this.update(c);
  }

  /** Re-files `c` after a state change. */
  update(c: Connection): void {
    // A connection's four-tuple never changes once it has a remote; only its presence does.
    if (c.remote !== undefined) {
      const key = tupleKey(c.local.address, c.local.port, c.remote.address, c.remote.port);
      if (c.state !== 'CLOSED' && c.state !== 'LISTEN') this.connected.set(key, c);
      else if (this.connected.get(key) === c) this.connected.delete(key);
    }
    const listenKey = portKey(c.local.address, c.local.port);
    if (c.state === 'LISTEN') this.listeners.set(listenKey, c);
    else if (this.listeners.get(listenKey) === c) this.listeners.delete(listenKey);
    const parent = this.parentOf.get(c.id);
    if (parent !== undefined) {
      let set = this.halfOpen.get(parent);
      if (set === undefined) this.halfOpen.set(parent, (set = new Set<string>()));
      if (c.state === 'SYN-RECEIVED') set.add(c.id);
      else set.delete(c.id);
    }
  }

  hostExists(address: number): boolean {
    return this.hosts.has(address);
  }

  /** The endpoint (not CLOSED) bound to this address and port, if any. */
  portOwner(address: number, port: number): Connection | undefined {
    for (const c of this.bound.get(portKey(address, port)) ?? [])
      if (c.state !== 'CLOSED') return c;
    return undefined;
  }

  connection(dst: number, dstPort: number, src: number, srcPort: number): Connection | undefined {
    return this.connected.get(tupleKey(dst, dstPort, src, srcPort));
  }

  listener(address: number, port: number): Connection | undefined {
    return this.listeners.get(portKey(address, port));
  }

  halfOpenCount(listenerId: string): number {
    return this.halfOpen.get(listenerId)?.size ?? 0;
  }
}
