/**
 * The endpoint a packetdrill script talks to: the engine's `linux` profile on the machine
 * packetdrill's own tests assume, whose larger buffers (tcp_rmem and tcp_wmem of
 * gtests/net/common/defaults.sh, which most scripts also run) give window scale 8. A script's
 * shell line can change any of it (kernel.ts).
 */
import type { EndpointOptions } from '@tcplab/contract';
import { PROFILES } from '@tcplab/engine';

export const LINUX_OPTIONS: EndpointOptions = {
  ...PROFILES.linux,
  windowScale: 8,
  rcvBuffer: 262_144,
  sndBuffer: 262_144,
};

/** packetdrill's addresses: the kernel under test, and the remote end the script plays. */
export const LOCAL_ADDRESS = '192.168.0.1';
export const REMOTE_ADDRESS = '192.0.2.1';
/** bind() and connect() use 8080 (packetdrill's live_bind_port, live_connect_port). */
export const SCRIPT_PORT = 8080;
/** The other end's port: the remote's for a listening socket, ours for a connecting one. */
export const EPHEMERAL_PORT = 48_000;

/** packetdrill's timing tolerance: max(4 ms, 12.5% of the time since the last event). */
export const DEFAULT_TOLERANCE_US = 4000;
export const DEFAULT_TOLERANCE_PERCENT = 12.5;
