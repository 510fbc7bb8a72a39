// Linux's own packetdrill tests (google/packetdrill's gtests/net/tcp, vendored in
// test/packetdrill-linux/) played against the `linux` profile: each script's verdict as
// reached, so that a regression, or a script that starts to pass, shows here. A script that
// does not pass every line names why: the feature it needs and the line it stops at.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { localTarget } from '../scenario/local-target.js';
import { runPacketdrill, type PacketdrillResult } from './play.js';

const SCRIPTS = fileURLToPath(new URL('../../test/packetdrill-linux/', import.meta.url));

/** The scripts that pass every line. */
const PASSING = [
  'blocking/blocking-accept.pkt',
  'blocking/blocking-connect.pkt',
  'blocking/blocking-read.pkt',
  'close/close-local-close-then-remote-fin.pkt',
  'close/close-on-syn-sent.pkt',
  'close/close-remote-fin-then-close.pkt',
  'cubic/cubic-bulk-166k.pkt',
  'cubic/cubic-hystart-delay-min-rtt-jumps-downward.pkt',
  'cubic/cubic-hystart-delay-rtt-jumps-upward.pkt',
  'cubic/cubic-rto-ss-ca-cwnd-bump.pkt',
  'cwnd_moderation/cwnd-moderation-disorder-no-moderation.pkt',
  'ecn/ecn-uses-ect0.pkt',
  'fast_recovery/prr-ss-10pkt-lost-1.pkt',
  'fast_recovery/prr-ss-30pkt-lost-1_4-11_16.pkt',
  'fast_recovery/prr-ss-30pkt-lost1_4.pkt',
  'fast_recovery/prr-ss-ack-below-snd_una-cubic.pkt',
  'fast_retransmit/fr-4pkt.pkt',
  'fast_retransmit/fr-4pkt-sack.pkt',
  'fast_retransmit/fr-4pkt-fack-last-byte.pkt',
  'limited_transmit/limited-transmit-no-sack.pkt',
  'limited_transmit/limited-transmit-sack.pkt',
  'mss/mss-getsockopt-tcp_maxseg-server.pkt',
  'mss/mss-setsockopt-tcp_maxseg-client.pkt',
  'mss/mss-setsockopt-tcp_maxseg-server.pkt',
  'nagle/https_client.pkt',
  'nagle/sendmsg_msg_more.pkt',
  'nagle/sockopt_cork_nodelay.pkt',
  'sack/sack-shift-sacked-2-6-8-3-9-nofack.pkt',
  'sack/sack-shift-sacked-7-3-4-8-9-fack.pkt',
  'sack/sack-shift-sacked-7-5-6-8-9-fack.pkt',
  'shutdown/shutdown-rd-close.pkt',
  'shutdown/shutdown-rd-wr-close.pkt',
  'shutdown/shutdown-rdwr-close.pkt',
  'shutdown/shutdown-rdwr-send-queue-ack-close.pkt',
  'shutdown/shutdown-rdwr-write-queue-close.pkt',
  'shutdown/shutdown-wr-close.pkt',
  'slow_start/slow-start-ack-per-1pkt.pkt',
  'slow_start/slow-start-ack-per-2pkt-send-5pkt.pkt',
  'slow_start/slow-start-ack-per-2pkt-send-6pkt.pkt',
  'slow_start/slow-start-ack-per-2pkt.pkt',
  'slow_start/slow-start-ack-per-4pkt.pkt',
  'slow_start/slow-start-after-idle.pkt',
  'slow_start/slow-start-after-win-update.pkt',
  'slow_start/slow-start-app-limited-9-packets-out.pkt',
  'slow_start/slow-start-app-limited.pkt',
  'slow_start/slow-start-fq-ack-per-2pkt.pkt',
  'ts_recent/fin_tsval.pkt',
  'ts_recent/invalid_ack.pkt',
  'ts_recent/reset_tsval.pkt',
  'user_timeout/user_timeout.pkt',
  'validate/validate-established-no-flags.pkt',
  'fast_retransmit/fr-4pkt-sack-linux.pkt',
];

/**
 * The scripts that do not pass yet: the line each stops at (its first that fails or is
 * unsupported) and why.
 */
const NOT_YET: Record<string, { line: number; why: string }> = {
  'blocking/blocking-write.pkt': {
    line: 24,
    why: 'a blocking write wakes when a third of the send buffer is free',
  },
  'cubic/cubic-bulk-166k-idle-restart.pkt': {
    line: 75,
    why: 'an RTT sample from every ACK (tcp_clean_rtx_queue): SRTT, hence the pacing rate, is lower here',
  },
  'cubic/cubic-rack-reo-timeout-retrans-failed-incoming-data.pkt': {
    line: 27,
    why: "Linux's cwnd accounting",
  },
  'cwnd_moderation/cwnd-moderation-ecn-enter-cwr-no-moderation-700.pkt': {
    line: 24,
    why: 'PRR in the CWR state',
  },
  'fast_retransmit/fr-4pkt-fack-last-mss.pkt': { line: 27, why: 'RACK-TLP' },
  'mtu_probe/basic-v4.pkt': { line: 13, why: 'MTU probing (RFC 4821, tcp_mtu_probing)' },
  'mtu_probe/basic-v6.pkt': { line: 10, why: 'IPv6' },
  'sack/sack-route-refresh-ip-tos.pkt': { line: 9, why: 'IP_MTU_DISCOVER, IP_TOS' },
  'user_timeout/user-timeout-probe.pkt': {
    line: 24,
    why: 'a local qdisc that drops (pfifo limit 0): Linux probes every 500 ms',
  },
};

/** How many of the 61 pass every line. */
const AT_LEAST = 52;

const play = async (file: string): Promise<PacketdrillResult> =>
  runPacketdrill(readFileSync(`${SCRIPTS}${file}`, 'utf8'), localTarget(), { name: file });

describe("Linux's packetdrill scripts on the linux profile", () => {
  it('names every vendored script once, and enough of them pass', () => {
    expect(PASSING.length + Object.keys(NOT_YET).length).toBe(61);
    expect(PASSING.filter((f) => f in NOT_YET)).toEqual([]);
    expect(PASSING.length).toBeGreaterThanOrEqual(AT_LEAST);
  });

  it.each(PASSING)('%s passes every line', async (file) => {
    const result = await play(file);
    expect(result.lines.filter((l) => l.status !== 'pass')).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it.each(Object.entries(NOT_YET))('%s stops where it is known to: %o', async (file, known) => {
    const result = await play(file);
    const first = result.lines.find((l) => l.status === 'fail' || l.status === 'unsupported');
    expect(first?.line).toBe(known.line);
    expect(result.passed).toBe(false);
  });
});
