/**
 * The system calls of a script, on the endpoints of a LabSession: socket() makes a socket of
 * the kernel's defaults, listen() and connect() make its endpoint, setsockopt() changes its
 * options (before the endpoint exists, or on the live endpoint as Linux allows), and the calls
 * that block (connect, accept, read, write) say how to try again until they return. File
 * descriptors are the script's: packetdrill maps the numbers a script names to the ones its
 * kernel gives, so socket() and accept() return what the script expects.
 */
import type { EndpointOptions } from '@tcplab/contract';
import { isApiError } from '../errors.js';
import type { AnyTraceEvent } from '../api/trace.js';
import type { LabSession } from '../scenario/target.js';
import type { Kernel } from './kernel.js';
import { EPHEMERAL_PORT, LOCAL_ADDRESS, REMOTE_ADDRESS, SCRIPT_PORT } from './linux.js';
import type { ScriptCall } from './parse.js';

export interface CallOutcome {
  result: number;
  errno?: string;
}

/** A call's result now, or how to try it again while it blocks. */
export type Execution = CallOutcome | { blocks: () => Promise<CallOutcome | undefined> };

/** A call the player does not model: reported, and the script goes on. */
export class Unsupported extends Error {}

/** A call the script got wrong (a socket that does not exist, say): the script stops. */
export class CallFailure extends Error {
  constructor(
    message: string,
    readonly actual?: string,
  ) {
    super(message);
  }
}

interface Socket {
  fd: number;
  options: EndpointOptions;
  /** SO_KEEPALIVE, and TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (Linux: 7200 s, 75 s, 9). */
  keepalive: { on: boolean; idleMs: number; intervalMs: number; probes: number };
  nonblocking: boolean;
  port: number | undefined;
  endpointId: string | undefined;
  listener: boolean;
  /** shutdown(SHUT_RD): a read of an empty buffer answers end of file at once. */
  readShut: boolean;
  /**
   * The connection's error (ECONNRESET...) was reported; Linux then answers writes EPIPE
   * and reads end of file.
   */
  errorTold: boolean;
}

/** An integer argument, as scripts write it: `[1]`. */
const INT_ARG = /^\[(-?\d+)\]$/;

export class ScriptSockets {
  private readonly sockets = new Map<number, Socket>();
  private readonly accepted = new Set<string>();
  /** The endpoint the script's segments are exchanged with (and tcp_info is read from). */
  connection: string | undefined;
  /** The ports the script's segments use, once a socket listens or connects. */
  ports: { local: number; remote: number } | undefined;

  constructor(
    private readonly session: LabSession,
    private readonly kernel: Kernel,
    /** The trace so far (errors the connection failed with). */
    private readonly events: () => readonly AnyTraceEvent[],
  ) {}

  /** Runs a call: its result now, or how to try it again while it blocks. */
  async execute(call: ScriptCall): Promise<Execution> {
    const [fdText] = call.args;
    switch (call.name) {
      case 'socket':
        return this.open(call);
      case 'setsockopt':
        return this.setsockopt(this.socket(fdText), call.args);
      case 'getsockopt':
        return this.getsockopt(this.socket(fdText), call.args);
      case 'fcntl':
        return this.fcntl(this.socket(fdText), call.args);
      case 'bind':
        this.socket(fdText).port = SCRIPT_PORT;
        return { result: 0 };
      case 'listen':
        return this.listen(this.socket(fdText));
      case 'connect':
        return this.connect(this.socket(fdText));
      case 'accept': {
        const socket = this.socket(fdText);
        const attempt = () => this.acceptOne(socket, call.result);
        const now = await attempt();
        if (now !== undefined) return now;
        if (socket.nonblocking) return { result: -1, errno: 'EAGAIN' };
        return { blocks: attempt };
      }
      case 'write':
        return this.write(this.socket(fdText), call.name, call.args[2], false);
      case 'send':
        return this.write(this.socket(fdText), call.name, call.args[2], sendFlags(call.args[3]));
      case 'sendmsg': {
        const bytes = iovecBytes(call.args[1] ?? '');
        if (bytes === undefined) throw new Unsupported(`sendmsg with ${call.args[1] ?? ''}`);
        return this.write(this.socket(fdText), call.name, String(bytes), sendFlags(call.args[2]));
      }
      case 'read':
      case 'recv':
        return this.read(this.socket(fdText), call.name, call.args[2]);
      case 'close':
        return this.close(this.socket(fdText));
      case 'shutdown':
        return this.shutdown(this.socket(fdText), call.args[1]);
      case 'ioctl':
        return this.ioctl(this.socket(fdText), call.args);
      default:
        throw new Unsupported(`${call.name}() is not supported`);
    }
  }

  private socket(fdText: string | undefined): Socket {
    const socket = this.sockets.get(Number(fdText));
    if (socket === undefined) throw new CallFailure(`no socket ${fdText ?? ''}`, '-1 EBADF');
    return socket;
  }

  /** The lowest free descriptor from 3, or the one the script names (packetdrill's fd map). */
  private newFd(wanted: number): number {
    if (wanted >= 0 && !this.sockets.has(wanted)) return wanted;
    let fd = 3;
    while (this.sockets.has(fd)) fd += 1;
    return fd;
  }

  private open(call: ScriptCall): CallOutcome {
    if (call.args[1] !== 'SOCK_STREAM')
      throw new Unsupported('only SOCK_STREAM sockets (TCP) are supported');
    const fd = this.newFd(call.result);
    this.sockets.set(fd, {
      fd,
      options: this.kernel.socketOptions(),
      keepalive: { on: false, idleMs: 7_200_000, intervalMs: 75_000, probes: 9 },
      nonblocking: false,
      port: undefined,
      endpointId: undefined,
      listener: false,
      readShut: false,
      errorTold: false,
    });
    return { result: fd };
  }

  private fcntl(socket: Socket, args: string[]): CallOutcome {
    if (args[1] === 'F_GETFL') return { result: socket.nonblocking ? 0x802 : 0x2 };
    if (args[1] !== 'F_SETFL') throw new Unsupported(`fcntl ${args[1] ?? ''}`);
    socket.nonblocking = (args[2] ?? '').includes('O_NONBLOCK');
    return { result: 0 };
  }

  private async listen(socket: Socket): Promise<CallOutcome> {
    const endpoint = await this.session.addEndpoint({
      name: `fd${socket.fd}`,
      address: LOCAL_ADDRESS,
      port: socket.port ?? SCRIPT_PORT,
      options: endpointOptions(socket),
    });
    socket.endpointId = endpoint.id;
    socket.port ??= SCRIPT_PORT;
    socket.listener = true;
    // Connections to a listener come from the remote's ephemeral port.
    this.ports = { local: socket.port, remote: EPHEMERAL_PORT };
    return this.refusable(() => this.session.call(endpoint.id, 'listen'), 0);
  }

  private async connect(socket: Socket): Promise<Execution> {
    socket.port ??= EPHEMERAL_PORT;
    const endpoint = await this.session.addEndpoint({
      name: `fd${socket.fd}`,
      address: LOCAL_ADDRESS,
      port: socket.port,
      options: endpointOptions(socket),
    });
    socket.endpointId = endpoint.id;
    this.connection = endpoint.id;
    this.ports = { local: socket.port, remote: SCRIPT_PORT };
    const refused = await this.refusable(
      () => this.session.connect(endpoint.id, { address: REMOTE_ADDRESS, port: SCRIPT_PORT }),
      0,
    );
    if (refused.result !== 0) return refused;
    if (socket.nonblocking) return { result: -1, errno: 'EINPROGRESS' };
    return { blocks: () => this.connected(socket) };
  }

  private async write(
    socket: Socket,
    name: string,
    sizeText: string | undefined,
    more: boolean,
  ): Promise<Execution> {
    const bytes = Number(sizeText);
    if (!Number.isInteger(bytes) || bytes < 0)
      throw new Unsupported(`${name} of ${sizeText ?? ''} bytes`);
    const told = this.tellError(socket);
    if (told !== undefined) return told;
    if (socket.errorTold) return { result: -1, errno: 'EPIPE' };
    if (bytes === 0) return { result: 0 };
    const eid = this.endpointOf(socket);
    let written = 0;
    const attempt = async (): Promise<CallOutcome | undefined> => {
      const sent = await this.refusable(
        async () =>
          (await this.session.send(eid, { bytes: bytes - written, ...(more ? { more } : {}) }))
            .accepted,
      );
      if (sent.result < 0) return written > 0 ? { result: written } : sent;
      written += sent.result;
      if (written === bytes) return { result: written };
      if (socket.nonblocking)
        return written > 0 ? { result: written } : { result: -1, errno: 'EAGAIN' };
      return undefined; // Linux's blocking write waits for room for the rest (sk_stream_wait_memory)
    };
    const now = await attempt();
    return now ?? { blocks: attempt };
  }

  private async read(
    socket: Socket,
    name: string,
    sizeText: string | undefined,
  ): Promise<Execution> {
    const max = Number(sizeText);
    if (!Number.isInteger(max) || max <= 0)
      throw new Unsupported(`${name} of ${sizeText ?? ''} bytes`);
    const attempt = () => this.readSome(socket, max);
    const now = await attempt();
    if (now !== undefined) return now;
    if (socket.nonblocking) return { result: -1, errno: 'EAGAIN' };
    return { blocks: attempt };
  }

  private async close(socket: Socket): Promise<CallOutcome> {
    this.sockets.delete(socket.fd);
    if (socket.endpointId === undefined) return { result: 0 };
    return this.refusable(() => this.session.call(socket.endpointId ?? '', 'close'), 0, true);
  }

  private async shutdown(socket: Socket, how: string | undefined): Promise<CallOutcome> {
    if (how !== 'SHUT_RD' && how !== 'SHUT_WR' && how !== 'SHUT_RDWR')
      throw new Unsupported(`shutdown ${how ?? ''}`);
    // Linux's SHUT_RD only ends reads: data still arrives, is acknowledged and can be read.
    if (how !== 'SHUT_WR') socket.readShut = true;
    if (how === 'SHUT_RD') return { result: 0 };
    return this.refusable(() => this.session.call(this.endpointOf(socket), 'shutdown'), 0);
  }

  private endpointOf(socket: Socket): string {
    if (socket.endpointId === undefined)
      throw new CallFailure(`socket ${socket.fd} is not connected`, '-1 ENOTCONN');
    return socket.endpointId;
  }

  /** A call the engine may refuse: its refusal as -1 and the errno a program would see. */
  private async refusable(
    call: () => Promise<unknown>,
    value?: number,
    closing = false,
  ): Promise<CallOutcome> {
    try {
      const result = await call();
      return { result: value ?? (typeof result === 'number' ? result : 0) };
    } catch (error) {
      if (!isApiError(error)) throw error;
      // close() of a socket whose connection is gone still succeeds.
      if (closing && error.code === 'ENOTCONN') return { result: 0 };
      return { result: -1, errno: error.code };
    }
  }

  /** An error the connection failed with, told once (as the next call's result). */
  private tellError(socket: Socket): { result: number; errno: string } | undefined {
    if (socket.errorTold || socket.endpointId === undefined) return undefined;
    const failure = [...this.events()]
      .reverse()
      .find((e) => e.kind === 'app' && e.endpointId === socket.endpointId && e.event === 'error');
    if (failure === undefined) return undefined;
    socket.errorTold = true;
    return { result: -1, errno: String(failure.error) };
  }

  private async connected(socket: Socket): Promise<CallOutcome | undefined> {
    const told = this.tellError(socket);
    if (told !== undefined) return told;
    const endpoint = (await this.session.endpoints()).find((e) => e.id === socket.endpointId);
    return endpoint !== undefined && endpoint.state !== 'SYN-SENT' && endpoint.state !== 'CLOSED'
      ? { result: 0 }
      : undefined;
  }

  private async acceptOne(listener: Socket, wanted: number): Promise<CallOutcome | undefined> {
    const child = (await this.session.endpoints()).find(
      (e) =>
        e.parentId === listener.endpointId &&
        !this.accepted.has(e.id) &&
        e.state !== 'SYN-RECEIVED' &&
        e.state !== 'CLOSED',
    );
    if (child === undefined) return undefined;
    this.accepted.add(child.id);
    this.connection = child.id;
    const fd = this.newFd(wanted);
    this.sockets.set(fd, {
      fd,
      options: { ...listener.options },
      keepalive: { ...listener.keepalive },
      nonblocking: false,
      port: listener.port,
      endpointId: child.id,
      listener: false,
      readShut: false,
      errorTold: false,
    });
    return { result: fd };
  }

  private async readSome(socket: Socket, max: number): Promise<CallOutcome | undefined> {
    const eid = this.endpointOf(socket);
    const endpoint = (await this.session.endpoints()).find((e) => e.id === eid);
    const empty = endpoint?.buffered.received === 0;
    const told = empty ? this.tellError(socket) : undefined;
    if (told !== undefined) return told;
    if (empty && socket.errorTold) return { result: 0 };
    const read = await this.session.receive(eid, { max });
    if (read.bytes > 0) return { result: read.bytes };
    if (read.eof || endpoint?.state === 'CLOSED' || socket.readShut) return { result: 0 };
    return undefined;
  }

  private async setsockopt(socket: Socket, args: string[]): Promise<CallOutcome> {
    const [, level, name, value] = args;
    const number = Number(INT_ARG.exec(value ?? '')?.[1]);
    if (name === 'SO_REUSEADDR' || name === 'SO_REUSEPORT') return { result: 0 };
    const change: EndpointOptions = {};
    switch (name) {
      case 'TCP_NODELAY':
        change.nagle = number === 0;
        break;
      case 'SO_RCVBUF':
        change.rcvBuffer = Math.max(2304, 2 * number); // Linux doubles what is asked (socket(7))
        break;
      case 'SO_SNDBUF':
        change.sndBuffer = Math.max(4608, 2 * number);
        break;
      case 'TCP_MAXSEG':
        change.mss = number;
        break;
      case 'TCP_CORK':
        change.cork = number !== 0;
        break;
      case 'TCP_USER_TIMEOUT':
        change.userTimeoutMs = number;
        break;
      case 'SO_KEEPALIVE':
        socket.keepalive.on = number !== 0;
        break;
      case 'TCP_KEEPIDLE':
        socket.keepalive.idleMs = number * 1000;
        break;
      case 'TCP_KEEPINTVL':
        socket.keepalive.intervalMs = number * 1000;
        break;
      case 'TCP_KEEPCNT':
        socket.keepalive.probes = number;
        break;
      case 'TCP_CONGESTION': {
        const algorithm = (value ?? '').replace(/"/g, '');
        if (algorithm !== 'reno' && algorithm !== 'cubic')
          throw new Unsupported(`congestion control ${algorithm}`);
        change.congestion = algorithm;
        break;
      }
      default:
        throw new Unsupported(`setsockopt ${level ?? ''} ${name ?? ''}`);
    }
    const keepalive = name?.startsWith('TCP_KEEP') === true || name === 'SO_KEEPALIVE';
    if (keepalive) Object.assign(change, { keepalive: endpointOptions(socket).keepalive });
    Object.assign(socket.options, change);
    const eid = socket.endpointId;
    if (eid === undefined) return { result: 0 };
    const setOptions = this.session.setOptions?.bind(this.session);
    if (setOptions === undefined)
      throw new Unsupported(`${name} on a live endpoint: this target cannot change options`);
    return this.refusable(() => setOptions(eid, change), 0);
  }

  private async getsockopt(socket: Socket, args: string[]): Promise<CallOutcome> {
    const [, , name, value] = args;
    const expected = /^\[(\w+)\]$/.exec(value ?? '')?.[1] ?? '';
    let actual: string;
    switch (name) {
      case 'SO_ERROR':
        actual = this.tellError(socket)?.errno ?? '0';
        break;
      case 'SO_SNDBUF':
        actual = String(socket.options.sndBuffer ?? 0);
        break;
      case 'SO_RCVBUF':
        actual = String(socket.options.rcvBuffer ?? 0);
        break;
      case 'TCP_MAXSEG':
        actual = String(await this.maxSegment(socket));
        break;
      default:
        throw new Unsupported(`getsockopt ${name ?? ''}`);
    }
    if (expected !== actual)
      throw new CallFailure(`${name ?? ''} is ${actual}, expected ${expected}`, `[${actual}]`);
    return { result: 0 };
  }

  /** SIOCINQ: bytes ready to read; SIOCOUTQ: bytes not yet acknowledged (tcp(7)). */
  private async ioctl(socket: Socket, args: string[]): Promise<CallOutcome> {
    const [, request, value] = args;
    if (request !== 'SIOCINQ' && request !== 'SIOCOUTQ' && request !== 'FIONREAD')
      throw new Unsupported(`ioctl ${request ?? ''}`);
    const eid = this.endpointOf(socket);
    const endpoint = (await this.session.endpoints()).find((e) => e.id === eid);
    const actual = String(
      request === 'SIOCOUTQ' ? (endpoint?.buffered.send ?? 0) : (endpoint?.buffered.received ?? 0),
    );
    const expected = INT_ARG.exec(value ?? '')?.[1];
    if (expected !== actual)
      throw new CallFailure(`${request} is ${actual}, expected ${expected ?? '?'}`, `[${actual}]`);
    return { result: 0 };
  }

  /** TCP_MAXSEG: the send MSS once connected, before that the MSS the socket will announce. */
  private async maxSegment(socket: Socket): Promise<number> {
    if (socket.endpointId === undefined) return socket.options.mss ?? 536;
    const endpoint = (await this.session.endpoints()).find((e) => e.id === socket.endpointId);
    if (endpoint === undefined || endpoint.state === 'LISTEN' || endpoint.state === 'SYN-SENT')
      return socket.options.mss ?? 536;
    return endpoint.tcb.mss;
  }
}

/** The flags of send() and sendmsg(): MSG_MORE is the one that changes what TCP does. */
function sendFlags(text: string | undefined): boolean {
  const flags = (text ?? '0').split('|').map((f) => f.trim());
  const other = flags.filter((f) => f !== 'MSG_MORE' && f !== '0' && f !== 'MSG_NOSIGNAL');
  if (other.length > 0) throw new Unsupported(`send flags ${other.join('|')}`);
  return flags.includes('MSG_MORE');
}

/** The bytes of a sendmsg() message: the sum of its iovec lengths (`msg_iov(2)=[{..., 10}, ...]`). */
function iovecBytes(message: string): number | undefined {
  const iov = /msg_iov\(\d+\)=\[(.*?)\]/s.exec(message)?.[1];
  if (iov === undefined) return undefined;
  const lengths = [...iov.matchAll(/\{\s*\.\.\.\s*,\s*(\d+)\s*\}/g)].map((m) => Number(m[1]));
  return lengths.length === 0 ? undefined : lengths.reduce((a, b) => a + b, 0);
}

/** A socket's options as the endpoint is made with them. */
function endpointOptions(socket: Socket): EndpointOptions {
  const { on, ...keepalive } = socket.keepalive;
  return { ...socket.options, keepalive: on ? keepalive : false };
}
