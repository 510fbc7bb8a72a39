/**
 * Profiles: named sets of endpoint options. `rfc` is the textbook the lessons teach (the
 * defaults of options.ts, each the RFC's own default). `linux` is what a Linux 6.x host does
 * with its default sysctls, where the RFCs leave a choice or Linux departs from them; each
 * option's comment in options.ts says which RFC it refines and which Linux function or sysctl
 * it follows. A profile is a starting point: every option can still be set on its own.
 */
import type { EndpointOptions } from './options.js';

export type Profile = 'rfc' | 'linux';

/** Options a profile sets: each with a value (none is set to "undefined"). */
export type ProfileOptions = {
  [K in keyof EndpointOptions]?: Exclude<EndpointOptions[K], undefined>;
};

export const PROFILES: Readonly<Record<Profile, Readonly<ProfileOptions>>> = {
  rfc: {},
  linux: {
    /** RFC 6928's ten segments (tcp_init_cwnd, TCP_INIT_CWND). */
    initialWindow: 10,
    /** net.ipv4.tcp_sack, tcp_timestamps: on. */
    sack: true,
    timestamps: true,
    /**
     * tcp_rmem's default (131072) and tcp_wmem's (16384); Linux offers the window scale its
     * largest receive buffer needs (tcp_rmem max 6 MiB: shift 7).
     */
    rcvBuffer: 131_072,
    sndBuffer: 16_384,
    windowScale: 7,
    /** tcp_rtt_estimator(), with TCP_RTO_MIN, TCP_TIMEOUT_INIT, TCP_RTO_MAX. */
    rttEstimator: 'linux',
    rtoMinMs: 200,
    rtoInitialMs: 1000,
    rtoMaxMs: 120_000,
    /** TCP_DELACK_MIN, with quick-ACK mode and the adaptive delay of tcp_input.c. */
    delayedAckMs: 40,
    ackPolicy: 'linux',
    /** net.ipv4.tcp_congestion_control: cubic, with HyStart (tcp_cubic.c hystart_detect=3). */
    congestion: 'cubic',
    slowStartExit: 'hystart',
    /**
     * cwnd in packets as tcp_cong_avoid grows it (tcp_slow_start, tcp_is_cwnd_limited,
     * tcp_cubic.c's integer arithmetic); net.ipv4.tcp_slow_start_after_idle: on.
     */
    cwndAccounting: 'linux',
    slowStartAfterIdle: true,
    /** tcp_syn_retries, tcp_retries2. */
    synRetries: 6,
    dataRetries: 15,
    /** TIME-WAIT lasts TCP_TIMEWAIT_LEN, 60 s. */
    mslMs: 30_000,
    /** net.ipv4.tcp_ecn = 2: ECN when the peer asks for it, never asked for (RFC 3168). */
    ecn: 'passive',
    /**
     * Loss recovery as Linux's: RACK-TLP (RFC 8985; net.ipv4.tcp_recovery=1,
     * tcp_early_retrans=3), PRR (RFC 6937; always on in Linux), D-SACK (RFC 2883; tcp_dsack=1).
     */
    rack: true,
    tlp: true,
    prr: true,
    dsack: true,
    /** PSH where Linux sets it (tcp_mark_push, and on every TSO packet; push.ts). */
    pushFlag: 'linux',
    /** Where Linux's segment handling departs from RFC 9293's text (options.ts). */
    edgeRules: 'linux',
    /** net.ipv4.tcp_challenge_ack_limit (RFC 5961 §7). */
    challengeAckLimit: 1000,
  },
};

/** The options of `profile` (the engine's defaults for anything it does not set). */
export function profileOptions(profile: Profile): ProfileOptions {
  return { ...PROFILES[profile] };
}
