import { describe, expect, it } from 'vitest';
import { parsePacketdrill } from './parse.js';

const one = (line: string) => parsePacketdrill(line)[0];

describe('reading packetdrill scripts', () => {
  it.each([
    ['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', { kind: 'absolute', us: 0 }],
    ['+.1 close(4) = 0', { kind: 'relative', us: 100_000 }],
    ['0.250 close(4) = 0', { kind: 'absolute', us: 250_000 }],
    ['* close(4) = 0', { kind: 'any' }],
    ['0.1~0.2 close(4) = 0', { kind: 'range', relative: false, fromUs: 100_000, toUs: 200_000 }],
    ['+0.1~+0.2 close(4) = 0', { kind: 'range', relative: true, fromUs: 100_000, toUs: 200_000 }],
  ])('times: %s', (line, time) => {
    expect(one(line)).toMatchObject({ kind: 'call', time });
  });

  it('reads segment lines: flags, sequence range, ack, window and options', () => {
    expect(
      one('+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,TS val 100 ecr 0,nop,wscale 7>'),
    ).toEqual({
      line: 1,
      text: '+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,TS val 100 ecr 0,nop,wscale 7>',
      kind: 'segment',
      time: { kind: 'relative', us: 0 },
      segment: {
        direction: '<',
        flags: 'S',
        seq: 0,
        len: 0,
        ack: undefined,
        win: 32792,
        options: [
          { kind: 'mss', value: 1000 },
          { kind: 'sackOK' },
          { kind: 'nop' },
          { kind: 'nop' },
          { kind: 'ts', val: 100, ecr: 0 },
          { kind: 'nop' },
          { kind: 'wscale', value: 7 },
        ],
      },
    });
    expect(one('+0 > P. 1:1001(1000) ack 1')).toMatchObject({
      segment: {
        direction: '>',
        flags: 'P.',
        seq: 1,
        len: 1000,
        ack: 1,
        win: undefined,
        options: [],
      },
    });
    expect(one('+0 > S 0:0(0) <...>')).toMatchObject({ segment: { options: undefined } });
    expect(one('+0 < . 1:1(0) ack 1 win 257 <nop,nop,sack 1001:2001 3001:4001>')).toMatchObject({
      segment: {
        options: [
          { kind: 'nop' },
          { kind: 'nop' },
          {
            kind: 'sack',
            blocks: [
              { left: 1001, right: 2001 },
              { left: 3001, right: 4001 },
            ],
          },
        ],
      },
    });
  });

  it('reads system calls with their results, errno and blocking end', () => {
    expect(
      one('+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)'),
    ).toMatchObject({
      call: {
        name: 'connect',
        args: ['3', '...', '...'],
        result: -1,
        errno: 'EINPROGRESS',
        endUs: undefined,
      },
    });
    expect(one('+0...0.100 read(4, ..., 2000) = 2000')).toMatchObject({
      time: { kind: 'relative', us: 0 },
      call: { name: 'read', args: ['4', '...', '2000'], result: 2000, endUs: 100_000 },
    });
    expect(one('+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0')).toMatchObject({
      call: { args: ['3', 'SOL_SOCKET', 'SO_REUSEADDR', '[1]', '4'] },
    });
  });

  it('keeps line numbers across comments, and reads options', () => {
    const events = parsePacketdrill(`// a comment
--tolerance_usecs=10000
/* a comment
   over lines */
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // and one at the end
`);
    expect(events.map((e) => [e.line, e.kind])).toEqual([
      [2, 'option'],
      [5, 'call'],
    ]);
    expect(events[0]).toMatchObject({ name: 'tolerance_usecs', value: '10000' });
  });

  it('reads shell commands and python blocks as they are written, for the player to run', () => {
    const events = parsePacketdrill(`\`../common/defaults.sh
sysctl -q net.ipv4.tcp_ecn=1\`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+.002 ... 0.004 connect(4, ..., ...) = 0
+0 %{
assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd
}%
`);
    expect(events).toEqual([
      {
        line: 1,
        text: '`../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1`',
        kind: 'shell',
        code: '../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1',
      },
      expect.objectContaining({ line: 3, kind: 'call' }),
      expect.objectContaining({
        line: 4,
        kind: 'call',
        time: { kind: 'relative', us: 2000 },
        call: {
          name: 'connect',
          args: ['4', '...', '...'],
          result: 0,
          errno: undefined,
          endUs: 4000,
        },
      }),
      {
        line: 5,
        text: '+0 %{\nassert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n}%',
        kind: 'python',
        time: { kind: 'relative', us: 0 },
        code: '\nassert tcpi_snd_cwnd == 10, tcpi_snd_cwnd\n',
      },
    ]);
  });

  it('reads the IP ECN field and the ECN flags (RFC 3168): [ect0] and SEW', () => {
    const [syn, data] = parsePacketdrill(`+0 > SEW 0:0(0) <...>
+0 < [ce] P. 1:11(10) ack 1 win 257
`);
    expect(syn).toMatchObject({ kind: 'segment', segment: { flags: 'SEW' } });
    expect(syn?.kind === 'segment' ? syn.segment.ecn : 'not a segment').toBeUndefined();
    expect(data).toMatchObject({ kind: 'segment', segment: { ecn: 'ce', flags: 'P.', len: 10 } });
  });

  it('keeps what it cannot run as unsupported events, and what is not packetdrill as invalid', () => {
    const events = parsePacketdrill(`// unsupported
// lines
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 4
+0 < udp (100)
+0 < [tos 0x4] . 1:1(0) ack 1 win 257
+0 > . 1:1(0) ack 1 <md5 000102>
hello world
+0 < S 0:0(0) <mss 1460>
+0 > S 0:5(0)
`);
    expect(events.map((e) => [e.line, e.kind, 'reason' in e ? e.reason : ''])).toEqual([
      [3, 'call', ''],
      [4, 'call', ''],
      [5, 'unsupported', 'UDP, ICMP and IP-level packet lines are not supported (TCP only)'],
      [6, 'unsupported', 'UDP, ICMP and IP-level packet lines are not supported (TCP only)'],
      [7, 'unsupported', 'TCP option "md5 000102" is not supported'],
      [8, 'invalid', 'expected a time (0.1, +0.1, *) first'],
      [9, 'invalid', 'an inbound (<) line needs its window: win N'],
      [10, 'invalid', 'inconsistent sequence numbers and length'],
    ]);
  });
});
