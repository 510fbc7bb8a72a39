/**
 * Finds the endpoint a segment is for, in constant time: connections by their four-tuple,
 * listeners by address and port, and which addresses have a host. Derived from the
 * connections' states (rebuilt on restore), updated on every state change.
 */
import type { Connection, Endpoint } from '../tcp/connection.js';

/** One number per address and port (below 2^48, exact in a double): no string per segment. */
const endpointKey = (address: number, port: number) => address * 65536 + port;
const portKey = (address: number, port: number) => `${address}:${port}`;

export class Demux {
  private readonly hosts = new Set<number>();
  private readonly bound = new Map<string, Connection[]>();
  /**
   * Connections by local endpoint: the connection itself while it is the only one there (a
   * client's), a map by remote endpoint once there are several (a listener's children). A map
   * per client would cost more than the rest of an idle connection.
   */
  private readonly connected = new Map<number, Connection | Map<number, Connection>>();
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
      if (c.state !== 'CLOSED' && c.state !== 'LISTEN') this.file(c, c.remote);
      else this.unfile(c, c.remote);
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

  private file(c: Connection, remote: Endpoint): void {
    const local = endpointKey(c.local.address, c.local.port);
    const entry = this.connected.get(local);
    const remoteKey = endpointKey(remote.address, remote.port);
    if (entry === undefined || entry === c) {
      this.connected.set(local, c);
    } else if (entry instanceof Map) {
      entry.set(remoteKey, c);
    } else if (entry.remote !== undefined) {
      const other = endpointKey(entry.remote.address, entry.remote.port);
      if (other === remoteKey) this.connected.set(local, c);
      else
        this.connected.set(
          local,
          new Map([
            [other, entry],
            [remoteKey, c],
          ]),
        );
    }
  }

  private unfile(c: Connection, remote: Endpoint): void {
    const local = endpointKey(c.local.address, c.local.port);
    const entry = this.connected.get(local);
    if (entry === c) {
      this.connected.delete(local);
    } else if (entry instanceof Map) {
      const remoteKey = endpointKey(remote.address, remote.port);
      if (entry.get(remoteKey) === c) entry.delete(remoteKey);
      if (entry.size === 0) this.connected.delete(local);
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
    const entry = this.connected.get(endpointKey(dst, dstPort));
    if (entry === undefined || entry instanceof Map) return entry?.get(endpointKey(src, srcPort));
    return entry.remote?.address === src && entry.remote.port === srcPort ? entry : undefined;
  }

  listener(address: number, port: number): Connection | undefined {
    return this.listeners.get(portKey(address, port));
  }

  halfOpenCount(listenerId: string): number {
    return this.halfOpen.get(listenerId)?.size ?? 0;
  }
}
